import { readdirSync, readFileSync } from 'node:fs';

/**
 * Each table belongs to one lib, and only that lib names it in SQL: a lib that needs another lib's rows asks
 * that lib's exported function (issue 23). A table's owner is the lib whose entity maps it; the tables no
 * entity maps are listed here.
 */
const UNMAPPED_TABLES: Readonly<Record<string, string>> = {
  outbox: 'queue',
  nurse_digest: 'followup',
  audit_export: 'exports',
  audit_export_patient: 'exports',
  web_session: 'access',
  enrolment_draft: 'registry',
};

/**
 * The audit exports are the registry's reporting read model: their patient-level files and their report's
 * facts are read from the clinical tables of every lib in one snapshot, by COPY and by statements that no
 * function of another lib could serve. These two files, and no other, read other libs' tables.
 */
const READ_MODEL = ['libs/exports/src/dataset/tables.ts', 'libs/exports/src/report/facts.ts'];

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

function sourcesOf(lib: string): string[] {
  return (readdirSync(new URL(`libs/${lib}/src/`, root), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
    .map((f) => `libs/${lib}/src/${f}`);
}

const libs = readdirSync(new URL('libs/', root));
const owners = new Map<string, string>(Object.entries(UNMAPPED_TABLES));
for (const lib of libs) {
  for (const file of sourcesOf(lib)) {
    for (const [, table] of read(file).matchAll(/@Entity\('([a-z_]+)'/g)) owners.set(table, lib);
  }
}

describe('table owners', () => {
  it('give every table the migrations create an owning lib', () => {
    const created = readdirSync(new URL('migrations/', root))
      .filter((f) => /^\d{13}-.+\.ts$/.test(f))
      .flatMap((f) => [...read(`migrations/${f}`).matchAll(/CREATE TABLE ([a-z_]+)/g)].map((m) => m[1]));
    expect(created.filter((table) => !owners.has(table))).toEqual([]);
  });

  it("let no lib name another lib's table in SQL, the exports' read model apart", () => {
    const trespasses: string[] = [];
    for (const lib of libs) {
      for (const file of sourcesOf(lib)) {
        if (READ_MODEL.includes(file)) continue;
        for (const [, table] of read(file).matchAll(/\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+([a-z_]+)\b/gi)) {
          const owner = owners.get(table.toLowerCase());
          if (owner && owner !== lib) trespasses.push(`${file} names ${table} (${owner}'s)`);
        }
      }
    }
    expect(trespasses).toEqual([]);
  });
});
