import type { EntityManager } from 'typeorm';
import { ConsentEvent, EcmoRun, Patient } from '../patients/entities.js';

/** The synthetic cohort's own reads (its writes go through the registry's services, as a nurse's would). */

/** The id of one of the patient's ECMO runs (just enrolled, the patient has one: the index run). */
export async function ecmoRunIdOf(em: EntityManager, patientId: string): Promise<string> {
  return (await em.getRepository(EcmoRun).findOneOrFail({ where: { patientId }, select: { id: true } })).id;
}

/** The notes of the synthetic patients' enrolment events that start with `prefix` (a cohort's seed). */
export function enrolmentNotesOfCohort(em: EntityManager, prefix: string): Promise<Array<{ note: string }>> {
  return em
    .getRepository(ConsentEvent)
    .createQueryBuilder('event')
    .innerJoin(Patient, 'patient', 'patient.id = event.patientId')
    .select('event.note', 'note')
    .where('patient.synthetic AND event.kind = :kind AND starts_with(event.note, :prefix)', {
      kind: 'emergency_enrolment',
      prefix,
    })
    .getRawMany<{ note: string }>();
}
