/**
 * The group role every migration grants to. The login role of DATABASE_URL is made a member of it, so a
 * deployment may name its login roles as it likes while the schema's grants stay the same.
 */
export const APP_GROUP_ROLE = 'registry_app';

/** TypeORM's bookkeeping table of applied migrations. */
export const MIGRATIONS_TABLE = 'schema_migrations';

/** Key of the session-level advisory lock that makes concurrent `migrate` runs wait for each other. */
export const MIGRATION_LOCK_KEY = 0x45434d4f; // "ECMO"
