import type { EntityManager } from 'typeorm';

/** Every published version of the follow-up protocol, oldest first (an export's manifest lists them). */
export function publishedProtocols(em: EntityManager): Promise<Array<{ version: number; title: string }>> {
  return em.query<Array<{ version: number; title: string }>>(
    `SELECT version, title FROM follow_up_protocol ORDER BY version`,
  );
}
