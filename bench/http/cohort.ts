import { syntheticPatient } from '../../libs/registry/src/synthetic/cohort.js';
import type { ApiClient } from './api-client.js';

/** A patient the benchmark created, with what a valid complication needs (its index run's window). */
export interface BenchPatient {
  readonly id: string;
  readonly index: number;
  /** Declined (patient or consultee): kept only as a count, so it takes no new data. */
  readonly countingOnly: boolean;
  readonly run: { readonly id: string; readonly startedAt: number; readonly endedAt: number | null };
}

interface EnrolAnswer {
  id: string;
  ecmoRuns: Array<{ id: string; startedAt: string; endedAt: string | null }>;
}

/**
 * Creates `count` synthetic patients (libs/registry/src/synthetic/cohort.ts, seeded, indexes from `offset`)
 * through the HTTP api as the research nurse, in the order load-cohort.ts makes its calls: the enrolment
 * (identity, index operation, ECMO run, MDT decision, first consent event), then every later consent event,
 * complication and the hospital outcome in the order they happened. `concurrency` patients are in flight at
 * once, each one's requests in order.
 */
export async function createPatients(
  nurse: ApiClient,
  options: { count: number; offset?: number; seed?: number; concurrency?: number },
  onProgress: (done: number) => void = () => {},
): Promise<BenchPatient[]> {
  const now = new Date();
  const seed = options.seed ?? 7;
  const offset = options.offset ?? 0;
  const patients: BenchPatient[] = [];
  let next = 0;
  const one = async (index: number): Promise<BenchPatient> => {
    const synthetic = syntheticPatient(index, { seed, now, sites: 1 });
    const enrolled = await nurse.post<EnrolAnswer>('/patients', synthetic.enrolment, [201]);
    const run = enrolled.ecmoRuns[0];
    for (const step of synthetic.steps) {
      if (step.kind === 'consent') {
        await nurse.post(`/patients/${enrolled.id}/consent-events`, step.body, [201]);
      } else if (step.kind === 'complication') {
        await nurse.post(
          `/patients/${enrolled.id}/complications`,
          { ...step.body, ecmoRunId: run.id },
          [201],
        );
      } else {
        await nurse.post(`/patients/${enrolled.id}/outcome`, step.body, [201]);
      }
    }
    return {
      id: enrolled.id,
      index,
      countingOnly: synthetic.facts.declinedBy !== null,
      run: {
        id: run.id,
        startedAt: Date.parse(run.startedAt),
        endedAt: run.endedAt === null ? null : Date.parse(run.endedAt),
      },
    };
  };
  const worker = async (): Promise<void> => {
    while (next < options.count) {
      const index = offset + next++;
      patients.push(await one(index));
      onProgress(patients.length);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return patients.sort((a, b) => a.index - b.index);
}
