import type { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { Driver } from 'typeorm/driver/Driver.js';
import { quoteIdent } from './postgres-url.js';
import { queryPrepared } from './prepared.js';

/** Inserts of more rows than this are neither prepared nor remembered (a statement per batch size). */
const MAX_PREPARED_ROWS = 16;

/**
 * Entities from hand-written SQL, hydrated exactly as TypeORM's own finds hydrate them (the same driver
 * conversion and column transformers, into instances of the entity class), for the hot paths where building
 * each query costs more than running it: TypeORM spends about 0.1 ms of CPU building and mapping a simple
 * `find`, raw `pg` a tenth of that (issue 7's profiles). The SQL stays in the caller's sight; what it selects
 * is keyed by column name (`select()` lists the mapped columns).
 *
 * `fromJson` reads a row built by PostgreSQL's `row_to_json` / `json_agg` (several tables in one round trip).
 * Its instants come back as ISO strings, which hydrate to the same `Date`s because every session runs in UTC
 * (`postgresOptions`); a table with `bytea` columns cannot be read that way and is refused.
 */
export class EntityRows<E extends ObjectLiteral> {
  private static readonly cache = new WeakMap<EntityMetadata, EntityRows<ObjectLiteral>>();

  /** The quoted table name. */
  readonly table: string;
  private readonly columns: EntityMetadata['columns'];
  private readonly jsonSafe: boolean;
  private readonly selects = new Map<string, string>();
  private readonly inserts = new Map<string, string>();
  private readonly insertable: EntityMetadata['columns'];

  private constructor(
    private readonly driver: Driver,
    private readonly metadata: EntityMetadata,
  ) {
    this.table = quoteIdent(metadata.tableName);
    this.columns = metadata.columns.filter((c) => !c.isVirtual && !c.isVirtualProperty);
    this.jsonSafe = !this.columns.some((c) => c.type === 'bytea');
    this.insertable = this.columns.filter((c) => c.isInsert && !c.isUpdateDate && !c.isCreateDate);
  }

  static of<E extends ObjectLiteral>(em: EntityManager, target: EntityTarget<E>): EntityRows<E> {
    const metadata = em.connection.getMetadata(target);
    let rows = EntityRows.cache.get(metadata);
    if (!rows) {
      rows = new EntityRows(em.connection.driver, metadata);
      EntityRows.cache.set(metadata, rows);
    }
    return rows as unknown as EntityRows<E>;
  }

  /** The mapped columns, quoted and qualified by `alias` when one is given: `a."id", a."patient_id", …`. */
  select(alias = ''): string {
    let list = this.selects.get(alias);
    if (list === undefined) {
      const prefix = alias ? `${alias}.` : '';
      list = this.columns.map((c) => prefix + quoteIdent(c.databaseName)).join(', ');
      this.selects.set(alias, list);
    }
    return list;
  }

  /** `SELECT <the mapped columns> FROM <the table> WHERE <condition>` (its ORDER BY too, if any). */
  where(em: EntityManager, condition: string, parameters: readonly unknown[]): Promise<E[]> {
    return this.query(em, `SELECT ${this.select()} FROM ${this.table} WHERE ${condition}`, parameters);
  }

  /** The rows whose `column` equals `value`, in the `order` given (an ORDER BY list). */
  by(em: EntityManager, column: string, value: unknown, order: string): Promise<E[]> {
    return this.where(em, `${quoteIdent(column)} = $1 ORDER BY ${order}`, [value]);
  }

  /**
   * Inserts `rows` in one prepared statement (one each if they set different properties) and returns their
   * primary keys in order: the properties left undefined take the column's default, as with `em.insert`,
   * and values go through TypeORM's own conversion (transformers, JSON, dates). The audit trigger writes
   * each row's audit record as for any insert.
   */
  async insert(em: EntityManager, rows: readonly Partial<E>[]): Promise<string[]> {
    if (rows.length === 0) return [];
    const [primary, ...more] = this.metadata.primaryColumns;
    if (!primary || more.length > 0) {
      throw new Error(`EntityRows.insert into ${this.metadata.tableName}: needs a single-column primary key`);
    }
    const given = (row: Partial<E>) =>
      this.insertable.filter((c) => c.getEntityValue(row as ObjectLiteral) !== undefined);
    const columns = given(rows[0]);
    const signature = columns.map((c) => c.databaseName).join(',');
    const same = rows.every(
      (row) =>
        given(row)
          .map((c) => c.databaseName)
          .join(',') === signature,
    );
    if (!same) {
      // Rows that set different columns go one by one (in order), each with its own defaults.
      const ids: string[] = [];
      for (const row of rows) ids.push(...(await this.insert(em, [row])));
      return ids;
    }
    const key = `${rows.length}:${signature}`;
    let text = this.inserts.get(key);
    if (text === undefined) {
      const values = rows.map(
        (_, r) => `(${columns.map((_c, i) => `$${r * columns.length + i + 1}`).join(', ')})`,
      );
      text =
        `INSERT INTO ${this.table} (${columns.map((c) => quoteIdent(c.databaseName)).join(', ')}) ` +
        `VALUES ${values.join(', ')} RETURNING ${quoteIdent(primary.databaseName)} AS id`;
      if (rows.length <= MAX_PREPARED_ROWS) this.inserts.set(key, text);
    }
    const parameters = rows.flatMap((row) =>
      columns.map(
        (c) => this.driver.preparePersistentValue(c.getEntityValue(row as ObjectLiteral), c) as unknown,
      ),
    );
    const inserted =
      rows.length <= MAX_PREPARED_ROWS
        ? await queryPrepared<{ id: unknown }>(em, text, parameters)
        : await em.query<Array<{ id: unknown }>>(text, parameters);
    return inserted.map((row) => String(row.id));
  }

  /** Runs `sql` (positional parameters; a prepared statement, see `queryPrepared`) and hydrates every row. */
  async query(em: EntityManager, sql: string, parameters: readonly unknown[]): Promise<E[]> {
    const rows = await queryPrepared<Record<string, unknown>>(em, sql, parameters);
    return rows.map((row) => this.fromRow(row));
  }

  /** One entity from a row keyed by column name, as `pg` returned it. */
  fromRow(row: Record<string, unknown>): E {
    const entity = this.metadata.create(undefined, { fromDeserializer: true }) as E;
    for (const column of this.columns) {
      const value = row[column.databaseName];
      if (value === undefined) continue;
      column.setEntityValue(entity, this.driver.prepareHydratedValue(value, column));
    }
    return entity;
  }

  /** One entity from a `row_to_json` object (see the class comment). */
  fromJson(row: Record<string, unknown>): E {
    if (!this.jsonSafe) {
      throw new Error(`${this.metadata.tableName} has bytea columns: read it with fromRow, not as JSON`);
    }
    return this.fromRow(row);
  }
}
