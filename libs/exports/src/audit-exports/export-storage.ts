import { Injectable } from '@nestjs/common';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AppConfig } from '../../../config/src/index.js';

/** The names an export's files may have (checked before any path is built from a request). */
export const EXPORT_FILE_NAME = /^[a-z0-9_]+\.(csv|json|html)$/;

/**
 * Where exports live on disk: `<EXPORT_DIR>/<export id>/`, one folder per export, its files read-only. A
 * generation writes into `.partial-<id>` and renames it into place only once every file is written and
 * flushed, so a crash never leaves a half-written export where a download could find it.
 */
@Injectable()
export class ExportStorage {
  private readonly root: string;

  constructor(config: AppConfig) {
    this.root = resolve(config.EXPORT_DIR);
  }

  /** A fresh, empty folder for a generation; whatever an interrupted attempt left is removed first. */
  async prepare(exportId: string): Promise<string> {
    await this.discard(exportId);
    const dir = this.partialDir(exportId);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async discard(exportId: string): Promise<void> {
    await rm(this.partialDir(exportId), { recursive: true, force: true });
    await rm(this.finalDir(exportId), { recursive: true, force: true });
  }

  /** Flushes every file to disk, makes it read-only, and moves the folder into place. */
  async publish(exportId: string, names: readonly string[]): Promise<void> {
    const dir = this.partialDir(exportId);
    for (const name of names) {
      const handle = await open(join(dir, name), 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await chmod(join(dir, name), 0o444);
    }
    await rename(dir, this.finalDir(exportId));
    const root = await open(this.root, 'r');
    try {
      await root.sync();
    } finally {
      await root.close();
    }
  }

  /** The path of a published file; null for a name no export file can have. */
  path(exportId: string, name: string): string | null {
    return EXPORT_FILE_NAME.test(name) ? join(this.finalDir(exportId), name) : null;
  }

  private partialDir(exportId: string): string {
    return join(this.root, `.partial-${exportId}`);
  }

  private finalDir(exportId: string): string {
    return join(this.root, exportId);
  }
}
