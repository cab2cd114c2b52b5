import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 25: a site's NHS England region, so that an external-audit export can show a region in place of the
 * site. Seven regions since 2020 (NHS England's regional teams); null until an administrator records it.
 */
export class SiteRegion1795620000000 implements MigrationInterface {
  name = 'SiteRegion1795620000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE site ADD COLUMN region text CHECK (region IN ('east_of_england', 'london', 'midlands',
         'north_east_and_yorkshire', 'north_west', 'south_east', 'south_west'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE site DROP COLUMN region`);
  }
}
