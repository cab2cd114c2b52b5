import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system, ms) a process has used so far, or null where /proc cannot tell (not Linux). */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** A statement shortened for a report: whitespace collapsed, TypeORM's column lists elided. */
export function shortStatement(text: string, length = 140): string {
  const flat = text
    .replace(/\s+/g, ' ')
    .replace(/SELECT (?:"[^"]+"\."[^"]+" AS "[^"]+",? ?)+/g, 'SELECT … ')
    .trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}
