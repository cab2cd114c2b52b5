import { Column, Entity, PrimaryColumn } from 'typeorm';

// Defined in SQL (migration ValueSets) and read-only for the application; TypeORM only maps them.

/** One published version of a value set (the complication taxonomy, end reasons, causes of death, …). */
@Entity('value_set_version', { synchronize: false })
export class ValueSetVersion {
  @PrimaryColumn({ name: 'value_set', type: 'text' })
  valueSet: string;

  @PrimaryColumn({ type: 'integer' })
  version: number;

  @Column({ type: 'text' })
  title: string;

  @Column({ name: 'published_at', type: 'timestamptz' })
  publishedAt: Date;
}

@Entity('value_set_code', { synchronize: false })
export class ValueSetCode {
  @PrimaryColumn({ name: 'value_set', type: 'text' })
  valueSet: string;

  @PrimaryColumn({ type: 'integer' })
  version: number;

  @PrimaryColumn({ type: 'text' })
  code: string;

  @Column({ type: 'text' })
  label: string;

  @Column({ name: 'group_code', type: 'text', nullable: true })
  groupCode: string | null;

  /** The code needs a free-text description (the taxonomy's "other"). */
  @Column({ name: 'requires_text', type: 'boolean' })
  requiresText: boolean;

  @Column({ name: 'sort_order', type: 'integer' })
  sortOrder: number;
}

export const VALUE_SET_ENTITIES = [ValueSetVersion, ValueSetCode];
