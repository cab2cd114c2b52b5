import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  createAdminWithCli,
  createSite,
  createUser,
  onboard,
  uniqueEmail,
  type SignedIn,
} from '../../support/access.js';
import { startApi } from '../../support/apps.js';
import { daysAgo, enrolment } from '../../support/patients.js';
import { createClient } from './api/client/index.js';
import {
  appointmentsControllerBook,
  clinicalRecordsControllerCreateComplication,
  patientFollowUpControllerGet,
  patientsControllerEnrol,
  patientsControllerSummary,
  worklistControllerGet,
} from './api/sdk.gen.js';
import type { PatientsControllerEnrolData } from './api/types.gen.js';

/**
 * Issue 24: a hospital's integration team generates a typed client from the committed OpenAPI document
 * (@hey-api/openapi-ts, pinned; regenerated and diffed by the test command). This suite is that team: it
 * drives the api over HTTP through the generated client only, with the types the document gives.
 */
describe('the typed client generated from openapi.json', () => {
  let app: NestFastifyApplication;
  let nurse: SignedIn;
  let siteId: string;
  let client: ReturnType<typeof createClient>;

  beforeAll(async () => {
    app = await startApi();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.getHttpServer().address() as { port: number };
    const email = uniqueEmail('client-admin');
    const admin = await onboard(app, email, await createAdminWithCli(email));
    siteId = (await createSite(app, admin.accessToken, 'Client Heart')).id;
    nurse = await createUser(app, admin.accessToken, 'research_nurse', [siteId]);
    client = createClient({ baseUrl: `http://127.0.0.1:${address.port}`, auth: () => nurse.accessToken });
  });

  afterAll(async () => {
    await app.close();
  });

  it('enrols a patient, records a complication, books a visit and reads the worklist, typed end to end', async () => {
    const body = enrolment() as PatientsControllerEnrolData['body'];
    const enrolled = await patientsControllerEnrol({ client, body });
    expect(enrolled.response?.status).toBe(201);
    const patient = enrolled.data!;
    expect(patient.registryId).toMatch(/^S[0-9A-F]{8}-\d{4}$/);
    expect(patient.eligibility.eligible).toBe(true);
    expect(patient.ecmoRuns[0].endedAt).toBeNull();

    const runId = patient.ecmoRuns[0].id;
    const complication = await clinicalRecordsControllerCreateComplication({
      client,
      path: { patientId: patient.id },
      body: { code: 'sepsis', onsetAt: daysAgo(19), ecmoRunId: runId, grade: 2 },
    });
    expect([complication.response?.status, complication.error]).toEqual([201, undefined]);
    expect(complication.data?.ecmoRunId).toBe(runId);

    // A refusal comes back as the document's problem details, typed.
    const refused = await clinicalRecordsControllerCreateComplication({
      client,
      path: { patientId: patient.id },
      body: { code: 'sepsis', onsetAt: '2026-11-31T10:00:00Z', grade: 2 },
    });
    expect(refused.response?.status).toBe(400);
    expect(refused.error?.errors?.[0]?.field).toBe('onsetAt');

    const summary = await patientsControllerSummary({ client, path: { patientId: patient.id } });
    expect(summary.data && 'complications' in summary.data && summary.data.complications).toHaveLength(1);

    const plan = await patientFollowUpControllerGet({ client, path: { patientId: patient.id } });
    expect(plan.data?.visits).toEqual([]);
    const worklist = await worklistControllerGet({ client, path: { siteId } });
    expect(worklist.data?.consentToSeek.items.map((i) => i.registryId)).toContain(patient.registryId);
    // Booking needs a visit, which needs the run to end: refused for an unknown visit, with its field.
    const booking = await appointmentsControllerBook({
      client,
      path: { patientId: patient.id },
      body: {
        visitId: '00000000-0000-4000-8000-000000000000',
        date: '2027-01-11',
        time: '10:30',
        mode: 'clinic',
      },
    });
    expect(booking.response?.status).toBe(422);
    expect(booking.error?.errors?.[0]?.field).toBe('visitId');
  });
});
