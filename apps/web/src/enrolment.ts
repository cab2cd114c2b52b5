import { resolveLocalTime } from '../../../libs/time/src/index.js';
import type { ValueSets } from '../../../libs/registry/src/index.js';
import { longDay, words } from './filters.js';
import { dtoErrors } from './forms.js';
import type { FormError } from './pages.js';

/** How a field is asked and read. `code`: a value set's codes (a select); `choice`: fixed options (radios). */
export type FieldKind = 'text' | 'number' | 'date' | 'datetime' | 'code' | 'choice' | 'yesno';

export interface FieldSpec {
  readonly name: string;
  readonly label: string;
  readonly kind: FieldKind;
  readonly hint?: string;
  /** The value set of a `code` field. */
  readonly set?: string;
  readonly options?: readonly { readonly value: string; readonly text: string }[];
  /** May be left blank (the registry then asks for it, or for its reason, later). */
  readonly optional?: boolean;
}

export interface SectionSpec {
  readonly key: string;
  readonly title: string;
  readonly fields: readonly FieldSpec[];
}

/** The enrolment's sections, in the order of the task list (and of the patient's care). */
export const SECTIONS: readonly SectionSpec[] = [
  {
    key: 'identity',
    title: "Patient's details",
    fields: [
      { name: 'nhsNumber', label: 'NHS number', kind: 'text', hint: '10 digits, for example 999 000 0018' },
      { name: 'givenName', label: 'Given name', kind: 'text' },
      { name: 'familyName', label: 'Family name', kind: 'text' },
      { name: 'dateOfBirth', label: 'Date of birth', kind: 'date', hint: 'For example, 12 4 1961' },
      { name: 'sex', label: 'Sex', kind: 'code', set: 'sex' },
      {
        name: 'reminderChannel',
        label: 'Reminders of follow-up appointments',
        kind: 'choice',
        options: [
          { value: 'sms', text: 'By text message' },
          { value: 'email', text: 'By email' },
          { value: 'none', text: 'No reminders' },
        ],
      },
      { name: 'phone', label: 'Mobile phone number', kind: 'text', optional: true },
      { name: 'email', label: 'Email address', kind: 'text', optional: true },
    ],
  },
  {
    key: 'operation',
    title: 'Operation',
    fields: [
      { name: 'operationDate', label: 'Date of the operation', kind: 'date' },
      { name: 'category', label: 'Operation', kind: 'code', set: 'operation_category' },
      {
        name: 'categoryDetail',
        label: 'Operation, in words',
        kind: 'text',
        optional: true,
        hint: 'Needed for "other"',
      },
      { name: 'urgency', label: 'Urgency', kind: 'code', set: 'operation_urgency', optional: true },
      { name: 'redo', label: 'Redo operation', kind: 'yesno', optional: true },
      { name: 'bypassMinutes', label: 'Bypass time (minutes)', kind: 'number', optional: true },
      { name: 'crossClampMinutes', label: 'Cross-clamp time (minutes)', kind: 'number', optional: true },
      { name: 'euroscoreIi', label: 'EuroSCORE II (%)', kind: 'number', optional: true },
    ],
  },
  {
    key: 'ecmoRun',
    title: 'ECMO run',
    fields: [
      {
        name: 'startedAt',
        label: 'ECMO started',
        kind: 'datetime',
        hint: 'Date, then time in 24 hours (UK time)',
      },
      { name: 'mode', label: 'Mode', kind: 'code', set: 'ecmo_mode' },
      { name: 'startLocation', label: 'Started in', kind: 'code', set: 'ecmo_start_location' },
      { name: 'startedFor', label: 'Started for', kind: 'code', set: 'ecmo_started_for' },
      { name: 'cannulation', label: 'Cannulation', kind: 'code', set: 'cannulation', optional: true },
      {
        name: 'drainageSite',
        label: 'Drainage cannula site',
        kind: 'code',
        set: 'cannula_site',
        optional: true,
      },
      { name: 'returnSite', label: 'Return cannula site', kind: 'code', set: 'cannula_site', optional: true },
      {
        name: 'lvUnloading',
        label: 'Left ventricular unloading',
        kind: 'code',
        set: 'lv_unloading',
        optional: true,
      },
      { name: 'preCardiacArrest', label: 'Cardiac arrest before ECMO', kind: 'yesno', optional: true },
      { name: 'preLactate', label: 'Lactate before ECMO (mmol/L)', kind: 'number', optional: true },
    ],
  },
  {
    key: 'mdtDecision',
    title: 'MDT decision',
    fields: [
      {
        name: 'decidedAt',
        label: 'Decided',
        kind: 'datetime',
        hint: 'Date, then time in 24 hours (UK time)',
      },
      {
        name: 'decidedBy',
        label: 'Decided by',
        kind: 'text',
        hint: 'For example, Cardiac MDT (Dr Jones, Mr Patel)',
      },
    ],
  },
  {
    key: 'consent',
    title: 'Consent',
    fields: [
      {
        name: 'kind',
        label: 'How the patient was enrolled',
        kind: 'choice',
        options: [
          {
            value: 'emergency_enrolment',
            text: 'In an emergency, agreed by a doctor independent of the registry',
          },
          { value: 'consultee_advice', text: 'On the advice of a consultee' },
          { value: 'patient_consent', text: 'With the patient’s own consent' },
        ],
      },
      { name: 'occurredAt', label: 'When', kind: 'datetime', hint: 'Date, then time in 24 hours (UK time)' },
      {
        name: 'independentDoctor',
        label: 'Independent doctor',
        kind: 'text',
        optional: true,
        hint: 'In an emergency',
      },
      {
        name: 'consulteeType',
        label: 'Consultee',
        kind: 'choice',
        optional: true,
        options: [
          { value: 'personal', text: 'Personal consultee' },
          { value: 'nominated', text: 'Nominated consultee' },
        ],
      },
      { name: 'consulteeAgreed', label: 'The consultee agreed', kind: 'yesno', optional: true },
      { name: 'note', label: 'Note', kind: 'text', optional: true },
    ],
  },
];

export function sectionOf(key: string): SectionSpec | undefined {
  return SECTIONS.find((s) => s.key === key);
}

/** The answers a form posted for these fields: each field's text, dates as their parts, as typed. */
export function answersFrom(
  fields: readonly FieldSpec[],
  form: Record<string, unknown>,
): Record<string, string> {
  const text = (name: string) => (typeof form[name] === 'string' ? form[name] : '');
  const answers: Record<string, string> = {};
  for (const f of fields) {
    const parts =
      f.kind === 'date'
        ? ['-day', '-month', '-year']
        : f.kind === 'datetime'
          ? ['-day', '-month', '-year', '-time']
          : [''];
    // The NHS date input posts `<name>[day]`, `[month]`, `[year]`; the answers keep them as `<name>-day`….
    for (const suffix of parts) {
      const posted =
        suffix === '-time' || suffix === '' ? `${f.name}${suffix}` : `${f.name}[${suffix.slice(1)}]`;
      answers[`${f.name}${suffix}`] = text(posted);
    }
  }
  return answers;
}

/** A section's answers as the api's DTO reads them, with the fields that could not be read. */
export function sectionValues(
  fields: readonly FieldSpec[],
  answers: Readonly<Record<string, string>>,
): { values: Record<string, unknown>; errors: FormError[] } {
  const values: Record<string, unknown> = {};
  const errors: FormError[] = [];
  for (const f of fields) {
    const raw = (answers[f.name] ?? '').trim();
    const date = () => {
      const [d, m, y] = ['day', 'month', 'year'].map((p) => (answers[`${f.name}-${p}`] ?? '').trim());
      if (!d && !m && !y) return null;
      return `${y.padStart(4, '0')}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
    };
    switch (f.kind) {
      case 'date': {
        const value = date();
        if (value !== null) values[f.name] = value;
        else if (!f.optional)
          errors.push({ field: `${f.name}-day`, text: `Enter the ${f.label.toLowerCase()}` });
        break;
      }
      case 'datetime': {
        const day = date();
        const time = (answers[`${f.name}-time`] ?? '').trim();
        if (day === null && time === '') {
          if (!f.optional)
            errors.push({ field: `${f.name}-day`, text: `Enter when: ${f.label.toLowerCase()}` });
          break;
        }
        if (
          day === null ||
          !/^\d{4}-\d{2}-\d{2}$/.test(day) ||
          Number.isNaN(Date.parse(`${day}T00:00:00Z`))
        ) {
          errors.push({ field: `${f.name}-day`, text: `${f.label}: enter a real date` });
          break;
        }
        if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(time)) {
          errors.push({ field: `${f.name}-time`, text: `${f.label}: enter a time such as 14:05` });
          break;
        }
        const resolved = resolveLocalTime(day, time);
        if (resolved.ok) values[f.name] = resolved.instant.toISOString();
        else errors.push({ field: `${f.name}-time`, text: `${f.label}: ${resolved.reason}` });
        break;
      }
      case 'number':
        if (raw !== '') values[f.name] = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
        break;
      case 'yesno':
        if (raw === 'yes' || raw === 'no') values[f.name] = raw === 'yes';
        break;
      default:
        if (raw !== '') values[f.name] = raw;
    }
    if (!f.optional && f.kind !== 'date' && f.kind !== 'datetime' && raw === '') {
      const verb = f.kind === 'code' || f.kind === 'choice' ? 'Choose' : 'Enter';
      errors.push({ field: f.name, text: `${verb} ${f.label.charAt(0).toLowerCase()}${f.label.slice(1)}` });
    }
  }
  return { values, errors };
}

/** The whole draft as the api's enrolment: sections not yet answered are left out (the api names them). */
export function enrolmentOf(
  siteId: string,
  answers: Readonly<Record<string, Readonly<Record<string, string>>>>,
): Record<string, unknown> {
  const of = (key: string) => sectionValues(sectionOf(key)!.fields, answers[key] ?? {}).values;
  const { sex, ...identity } = of('identity');
  const mdt = of('mdtDecision');
  return {
    siteId,
    identity,
    sex,
    operation: of('operation'),
    ecmoRun: of('ecmoRun'),
    ...(Object.keys(mdt).length > 0 ? { mdtDecision: mdt } : {}),
    consent: of('consent'),
  };
}

/** Which section and field a DTO path names (`ecmoRun.startedAt` → ecmoRun, startedAt-day). */
export function locate(path: string): { section: string; field: string } {
  const [head, ...rest] = path.split('.');
  const section = head === 'sex' ? 'identity' : head;
  const name = head === 'sex' ? 'sex' : (rest[0] ?? head);
  return { section, field: anchorOf(sectionOf(section)?.fields ?? [], name) };
}

/** A field's answer as a summary list shows it (a day in words, a code's label, Yes or No); '' if none. */
export function answerText(
  f: FieldSpec,
  answers: Readonly<Record<string, string>>,
  labelOf: (set: string, code: string) => string | null,
): string {
  const raw = (answers[f.name] ?? '').trim();
  switch (f.kind) {
    case 'date':
    case 'datetime': {
      const [d, m, y] = ['day', 'month', 'year'].map((p) => (answers[`${f.name}-${p}`] ?? '').trim());
      if (!d && !m && !y) return '';
      const day = longDay(`${y.padStart(4, '0')}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`);
      return f.kind === 'datetime' ? `${day} at ${answers[`${f.name}-time`] ?? ''}` : day;
    }
    case 'code':
      return raw ? (labelOf(f.set!, raw) ?? raw) : '';
    case 'choice':
      return f.options?.find((o) => o.value === raw)?.text ?? raw;
    case 'yesno':
      return raw === 'yes' ? 'Yes' : raw === 'no' ? 'No' : '';
    default:
      return raw;
  }
}

/** The id of the control a field's error links to: a date input's day box, or the field itself. */
export function anchorOf(fields: readonly FieldSpec[], name: string): string {
  const spec = fields.find((f) => f.name === name);
  return spec && (spec.kind === 'date' || spec.kind === 'datetime') ? `${name}-day` : name;
}

/**
 * A form's answers checked as the api checks them: blanks and unreadable dates and times first, then the
 * api's own DTO (fields in `omit` are not the DTO's). Answers the values read and every error, each linked
 * to its control; a date the boxes make up that does not exist is said as the boxes read.
 */
export async function checkAnswers(
  fields: readonly FieldSpec[],
  answers: Readonly<Record<string, string>>,
  dto: new () => object,
  omit: readonly string[] = [],
): Promise<{ values: Record<string, unknown>; errors: FormError[] }> {
  const { values, errors } = sectionValues(fields, answers);
  for (const name of omit) delete values[name];
  const blank = new Set(errors.map((e) => e.field.replace(/-(day|time)$/, '')));
  const labels = Object.fromEntries(fields.map((f) => [f.name, f.label]));
  const rules = (await dtoErrors(dto, values, labels)).filter((e) => !blank.has(e.field));
  const all = [
    ...errors,
    ...rules.map((e) => {
      const spec = fields.find((f) => f.name === e.field);
      const text = spec?.kind === 'date' ? `${spec.label} must be a real date` : e.text;
      return { field: anchorOf(fields, e.field), text };
    }),
  ];
  // The error summary lists them in the order of the page.
  const at = (e: FormError) => fields.findIndex((f) => f.name === e.field.replace(/-(day|time)$/, ''));
  return { values, errors: all.sort((a, b) => at(a) - at(b)) };
}

/** The fields with their choices, as the form template asks them (a grouped value set as option groups). */
export function withChoices(fields: readonly FieldSpec[], valueSets: ValueSets) {
  return fields.map((f) => {
    if (f.kind !== 'code') {
      const items =
        f.kind === 'yesno'
          ? [
              { value: 'yes', text: 'Yes' },
              { value: 'no', text: 'No' },
            ]
          : (f.options ?? []);
      return { ...f, items, groups: null };
    }
    const codes = valueSets.get(f.set!).codes;
    const items = [{ value: '', text: 'Choose' }, ...codes.map((c) => ({ value: c.code, text: c.label }))];
    const groups = codes.some((c) => c.group)
      ? [...new Set(codes.map((c) => c.group ?? 'other'))].map((group) => ({
          label: words(group),
          items: codes
            .filter((c) => (c.group ?? 'other') === group)
            .map((c) => ({ value: c.code, text: c.label })),
        }))
      : null;
    return { ...f, items, groups };
  });
}
