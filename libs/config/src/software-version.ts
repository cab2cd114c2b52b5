import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The registry's version (package.json), named in every export's manifest. Found by walking up from this file,
 * so it is the same from the sources (tests), from dist/ and in the container image.
 */
export function softwareVersion(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ecmo-registry' && pkg.version) return (cached = pkg.version);
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package.json of ecmo-registry not found above ${import.meta.url}`);
    dir = parent;
  }
}
