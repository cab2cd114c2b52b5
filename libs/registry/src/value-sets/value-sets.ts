import { Injectable, NotFoundException, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ValueSetVersion } from './value-set.entities.js';
import { valueSetCodes, valueSetVersions } from './value-sets.queries.js';

export interface CodeView {
  readonly code: string;
  readonly label: string;
  readonly group: string | null;
  readonly requiresText: boolean;
}

export interface ValueSetView {
  readonly name: string;
  readonly version: number;
  readonly title: string;
  readonly codes: readonly CodeView[];
}

/**
 * The current version of every value set, loaded once at start (they change only by migration, and a
 * migration means a restart). Domain code validates against it rather than against enums of its own.
 */
@Injectable()
export class ValueSets implements OnApplicationBootstrap {
  private current = new Map<string, ValueSetView>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    const versions = await valueSetVersions(this.dataSource.manager);
    const latest = new Map<string, ValueSetVersion>();
    for (const v of versions) if (!latest.has(v.valueSet)) latest.set(v.valueSet, v);
    const codes = await valueSetCodes(this.dataSource.manager);
    this.current = new Map(
      [...latest.values()].map((v) => [
        v.valueSet,
        {
          name: v.valueSet,
          version: v.version,
          title: v.title,
          codes: codes
            .filter((c) => c.valueSet === v.valueSet && c.version === v.version)
            .map((c) => ({ code: c.code, label: c.label, group: c.groupCode, requiresText: c.requiresText })),
        },
      ]),
    );
  }

  list(): ValueSetView[] {
    return [...this.current.values()];
  }

  get(name: string): ValueSetView {
    const set = this.current.get(name);
    if (!set) throw new NotFoundException(`No value set named ${name}`);
    return set;
  }

  /** The code's entry in the current version of the set, or null when the set has no such code. */
  find(name: string, code: string): CodeView | null {
    return this.get(name).codes.find((c) => c.code === code) ?? null;
  }
}
