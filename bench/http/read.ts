import type { Benchmark } from '../lib/benchmark.js';
import { ratioResult } from '../lib/results.js';
import { compare, comparisonDetails, loadSettings, type LoadTarget } from './load.js';
import { placement, withServers } from './setup.js';

export const READ_TARGET = 0.6;

/**
 * Issue 7, "read: patient summary over HTTP": `GET /patients/:patientId` on the api (bearer token of a
 * research nurse of the patients' site: authentication, the user re-read, default-deny guard, roles, rate
 * limit, parameter validation, site scoping, request logging) against the bare Fastify baseline running the
 * same statements with raw `pg`. Every request reads another patient, round-robin over the whole cohort
 * (declined patients, kept only as a count, included as they come).
 */
export const benchmark: Benchmark = {
  name: 'read',
  async run(env, options) {
    const settings = loadSettings(options.quick);
    const patients = options.quick ? 120 : 400;
    return withServers(
      env,
      { ...options, patients },
      async (port, fixture) => {
        const id = fixture.patients.find((p) => !p.countingOnly)!.id;
        const response = await fetch(`http://127.0.0.1:${port}/patients/${id}`, {
          headers: { authorization: `Bearer ${fixture.users.nurseToken}` },
        });
        if (response.status !== 200)
          throw new Error(`summary probe: ${response.status} ${await response.text()}`);
      },
      async ({ api, baseline, fixture, statements, meters, loadAtStart }) => {
        const ids = fixture.patients.map((p) => p.id);
        const target = (name: LoadTarget['name'], port: number): LoadTarget => {
          let next = 0;
          return {
            name,
            port,
            method: 'GET',
            expectedStatus: 200,
            meter: meters[name],
            headers: name === 'ours' ? { authorization: `Bearer ${fixture.users.nurseToken}` } : {},
            next: () => ({ path: `/patients/${ids[next++ % ids.length]}` }),
          };
        };
        const comparison = await compare(
          target('ours', api.port),
          target('baseline', baseline.port),
          settings,
          options.log,
        );
        return [
          ratioResult(
            'read: patient summary over HTTP',
            comparison.ours.requestsPerSecond,
            comparison.baseline.requestsPerSecond,
            'req/s',
            READ_TARGET,
            {
              ...comparisonDetails(comparison, settings),
              patients: ids.length,
              countingOnlyPatients: fixture.patients.filter((p) => p.countingOnly).length,
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
