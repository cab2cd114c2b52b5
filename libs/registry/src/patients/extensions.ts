import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Patient } from './entities.js';
import type { PatientRecords } from './patient-changes.js';

/**
 * Work another module does whenever a patient's record changes (follow-up replans the visits): inside the
 * change's transaction, with the patient row locked and the registry's own rules holding, so what it writes
 * commits or rolls back with the change. `records` are the patient's live records as the change left them,
 * read once for every hook.
 */
export interface PatientChangeHook {
  afterChange(em: EntityManager, patientId: string, now: Date, records: PatientRecords): Promise<void>;
}

/** A part another module adds to the patient summary (one call shows the whole record). */
export interface PatientSummaryPart {
  readonly key: string;
  /** `patient`: the row the summary has read (a part need not read it again). */
  read(em: EntityManager, patient: Patient): Promise<unknown>;
}

/**
 * Where other modules plug into the patient record without the registry depending on them: follow-up
 * registers here at start-up; the registry calls what is registered.
 */
@Injectable()
export class PatientExtensions {
  private readonly hooks: PatientChangeHook[] = [];
  private readonly parts: PatientSummaryPart[] = [];

  onChange(hook: PatientChangeHook): void {
    this.hooks.push(hook);
  }

  addSummaryPart(part: PatientSummaryPart): void {
    this.parts.push(part);
  }

  async afterChange(
    em: EntityManager,
    patientId: string,
    records: PatientRecords,
    now = new Date(),
  ): Promise<void> {
    for (const hook of this.hooks) await hook.afterChange(em, patientId, now, records);
  }

  async summaryParts(em: EntityManager, patient: Patient): Promise<Record<string, unknown>> {
    const result: Record<string, unknown> = {};
    for (const part of this.parts) result[part.key] = await part.read(em, patient);
    return result;
  }
}
