import type { EntityManager, EntityTarget, ObjectLiteral, QueryDeepPartialEntity } from 'typeorm';

/**
 * The house's optimistic update: changes the row `id` only while it is still at `version`, and moves it to
 * version + 1; answers how many rows changed (0: someone changed it since the caller read it, or it is not
 * there). TypeORM's @VersionColumn does not guard save(), so every edit made from what a user read (a
 * correction, a void, an appointment moved) goes through here and checks the count.
 */
export async function updateAtVersion<E extends ObjectLiteral>(
  em: EntityManager,
  entity: EntityTarget<E>,
  id: string,
  version: number,
  set: QueryDeepPartialEntity<E>,
): Promise<number | undefined> {
  const result = await em
    .createQueryBuilder()
    .update(entity)
    .set({ ...set, version: () => 'version + 1' })
    .where('id = :id AND version = :version', { id, version })
    .execute();
  return result.affected;
}
