import { mulberry32 } from '../../libs/registry/src/synthetic/cohort.js';
import type { Benchmark } from '../lib/benchmark.js';
import { ratioResult } from '../lib/results.js';
import type { BenchPatient } from './cohort.js';
import { compare, comparisonDetails, loadSettings, type LoadTarget } from './load.js';
import { placement, withServers } from './setup.js';

export const WRITE_TARGET = 0.4;

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Complications of VA ECMO after cardiac surgery (value set `complication`), with their usual relation. */
const COMPLICATIONS: ReadonlyArray<{ code: string; relation: string }> = [
  { code: 'bleeding_surgical_site', relation: 'related' },
  { code: 'bleeding_cannulation_site', relation: 'related' },
  { code: 'reoperation_for_bleeding', relation: 'related' },
  { code: 'cardiac_tamponade', relation: 'related' },
  { code: 'bleeding_gastrointestinal', relation: 'possibly' },
  { code: 'renal_replacement_therapy', relation: 'possibly' },
  { code: 'ischaemic_stroke', relation: 'possibly' },
  { code: 'limb_ischaemia', relation: 'related' },
  { code: 'culture_proven_infection', relation: 'possibly' },
  { code: 'sepsis', relation: 'possibly' },
  { code: 'circuit_thrombosis', relation: 'related' },
];

/**
 * A valid complication body for `patient`, as a nurse would enter it: a code and its relation, an onset
 * inside the patient's (ended) index run, at least an hour after its start and before its end (so within
 * the timeline rules: after the operation, before any death), on that run; grade 2-4, serious from grade 3.
 */
export function complicationBody(patient: BenchPatient, random: () => number): string {
  const { startedAt, endedAt } = patient.run;
  const from = startedAt + HOUR_MS;
  const to = (endedAt ?? startedAt + 2 * 24 * HOUR_MS) - HOUR_MS;
  const onset = Math.floor((from + random() * (to - from)) / MINUTE_MS) * MINUTE_MS;
  const { code, relation } = COMPLICATIONS[Math.floor(random() * COMPLICATIONS.length)];
  const grade = 2 + Math.floor(random() * 3);
  return JSON.stringify({
    code,
    onsetAt: new Date(onset).toISOString(),
    ecmoRunId: patient.run.id,
    grade,
    serious: grade >= 3,
    relation,
    outcome: random() < 0.6 ? 'resolved' : 'ongoing',
  });
}

/**
 * Issue 7, "write: record a complication (with its audit row)": `POST /patients/:patientId/complications`
 * on the api (a research nurse's bearer token; authentication, guard, roles, rate limit, DTO validation,
 * value sets, the patient locked and scoped, the insert and its audit row by trigger, the timeline
 * re-checked on one read of the patient's live records, which also gives the answer; a complication neither
 * replans follow-up nor re-derives eligibility) against the bare Fastify baseline's transaction with raw
 * `pg`: audit context (set_config), patient lock, the same INSERT (its audit row by the
 * same trigger). Each side writes to patients of its own (of those not kept only as a count: two thirds to
 * the api, a third to the baseline), a different patient on each request, round-robin, so the baseline's
 * rows never lengthen the records the api re-reads, and the api's own pile up slowly (the details say how
 * many each patient got). Every request counted answered 201.
 */
export const benchmark: Benchmark = {
  name: 'write',
  async run(env, options) {
    const settings = loadSettings(options.quick);
    const patients = options.quick ? 120 : 1500;
    return withServers(
      env,
      { ...options, patients },
      async (port, fixture) => {
        const patient = fixture.patients.find((p) => !p.countingOnly)!;
        const response = await fetch(`http://127.0.0.1:${port}/patients/${patient.id}/complications`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${fixture.users.nurseToken}`,
            'content-type': 'application/json',
          },
          body: complicationBody(patient, mulberry32(1)),
        });
        if (response.status !== 201) {
          throw new Error(`complication probe: ${response.status} ${await response.text()}`);
        }
      },
      async ({ api, baseline, fixture, statements, meters, loadAtStart }) => {
        const writable = fixture.patients.filter((p) => !p.countingOnly && p.run.endedAt !== null);
        // Two thirds to the api: its writes re-read every complication of the patient, the baseline's do not.
        const pools = {
          ours: writable.filter((_, i) => i % 3 !== 2),
          baseline: writable.filter((_, i) => i % 3 === 2),
        };
        const sent = { ours: 0, baseline: 0 };
        const target = (name: LoadTarget['name'], port: number, seed: number): LoadTarget => {
          const random = mulberry32(seed);
          const pool = pools[name];
          return {
            name,
            port,
            method: 'POST',
            expectedStatus: 201,
            meter: meters[name],
            headers: {
              'content-type': 'application/json',
              ...(name === 'ours' ? { authorization: `Bearer ${fixture.users.nurseToken}` } : {}),
            },
            next: () => {
              const patient = pool[sent[name]++ % pool.length];
              return {
                path: `/patients/${patient.id}/complications`,
                body: complicationBody(patient, random),
              };
            },
          };
        };
        const comparison = await compare(
          target('ours', api.port, 101),
          target('baseline', baseline.port, 202),
          settings,
          options.log,
        );
        return [
          ratioResult(
            'write: record a complication (with its audit row)',
            comparison.ours.requestsPerSecond,
            comparison.baseline.requestsPerSecond,
            'req/s',
            WRITE_TARGET,
            {
              ...comparisonDetails(comparison, settings),
              patients: { ours: pools.ours.length, baseline: pools.baseline.length },
              complicationsWrittenPerPatient: {
                ours: Number((sent.ours / pools.ours.length).toFixed(1)),
                baseline: Number((sent.baseline / pools.baseline.length).toFixed(1)),
              },
              statementsPerRequest: {
                ours: statements.ours.length,
                baseline: statements.baseline.length,
                oursStatements: statements.ours,
                baselineStatements: statements.baseline,
              },
              ...placement(loadAtStart),
            },
          ),
        ];
      },
    );
  },
};
