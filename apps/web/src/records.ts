import { localWallClock } from '../../../libs/time/src/index.js';
import type { FieldSpec } from './enrolment.js';

/** A clinical record the web app records, corrects and voids (the registry's RecordSpec does the work). */
export interface RecordForm {
  /** The path segment: /patients/:id/<path>/… */
  readonly path: 'complications' | 'outcome' | 'ecmo-runs';
  readonly title: string;
  /** What the patient page's link says to add one (none: records made otherwise, such as the first run). */
  readonly addText: string | null;
  readonly fields: readonly FieldSpec[];
}

export const COMPLICATION_FORM: RecordForm = {
  path: 'complications',
  title: 'Complication',
  addText: 'Record a complication',
  fields: [
    { name: 'code', label: 'Complication', kind: 'code', set: 'complication' },
    { name: 'description', label: 'Description', kind: 'text', optional: true, hint: 'Needed for "other"' },
    { name: 'onsetAt', label: 'Onset', kind: 'datetime', hint: 'Date, then time in 24 hours (UK time)' },
    { name: 'grade', label: 'Grade', kind: 'number', optional: true, hint: '1 (mild) to 5 (death)' },
    { name: 'serious', label: 'Serious', kind: 'yesno', optional: true },
    {
      name: 'relation',
      label: 'Related to ECMO',
      kind: 'code',
      set: 'complication_relation',
      optional: true,
    },
    { name: 'outcome', label: 'Outcome', kind: 'code', set: 'complication_outcome', optional: true },
  ],
};

export const OUTCOME_FORM: RecordForm = {
  path: 'outcome',
  title: 'Hospital outcome',
  addText: 'Record the hospital outcome',
  fields: [
    {
      name: 'kind',
      label: 'Outcome',
      kind: 'choice',
      options: [
        { value: 'discharge', text: 'Discharged alive' },
        { value: 'death', text: 'Died in hospital' },
      ],
    },
    { name: 'occurredAt', label: 'When', kind: 'datetime', hint: 'Date, then time in 24 hours (UK time)' },
    {
      name: 'destination',
      label: 'Discharged to',
      kind: 'code',
      set: 'discharge_destination',
      optional: true,
      hint: 'For a discharge',
    },
    {
      name: 'causeOfDeath',
      label: 'Cause of death',
      kind: 'code',
      set: 'cause_of_death',
      optional: true,
      hint: 'For a death',
    },
    { name: 'causeDetail', label: 'Cause of death, in words', kind: 'text', optional: true },
  ],
};

/** The run's end (decannulation): the rest of a run is recorded at enrolment. */
export const RUN_END_FORM: RecordForm = {
  path: 'ecmo-runs',
  title: 'End of the ECMO run',
  addText: null,
  fields: [
    {
      name: 'endedAt',
      label: 'Decannulated',
      kind: 'datetime',
      hint: 'Date, then time in 24 hours (UK time)',
    },
    { name: 'endReason', label: 'Why the run ended', kind: 'code', set: 'ecmo_end_reason' },
  ],
};

export const RECORD_FORMS: readonly RecordForm[] = [COMPLICATION_FORM, OUTCOME_FORM, RUN_END_FORM];

/** A record as read (the api's view) as the form's answers, to show it for a correction. */
export function answersOfRecord(form: RecordForm, record: Record<string, unknown>): Record<string, string> {
  const answers: Record<string, string> = {};
  for (const f of form.fields) {
    const value = record[f.name];
    if (value === null || value === undefined) continue;
    if (f.kind === 'datetime' && typeof value === 'string') {
      const { date, time } = localWallClock(new Date(value));
      const [year, month, day] = date.split('-');
      Object.assign(answers, {
        [`${f.name}-day`]: String(Number(day)),
        [`${f.name}-month`]: String(Number(month)),
        [`${f.name}-year`]: year,
        [`${f.name}-time`]: time,
      });
    } else if (f.kind === 'yesno') {
      answers[f.name] = value ? 'yes' : 'no';
    } else if (typeof value === 'string' || typeof value === 'number') {
      answers[f.name] = String(value);
    }
  }
  return answers;
}
