import { Column, Entity } from 'typeorm';
import { ClinicalRecord } from '../../../registry/src/index.js';

export const ASSESSMENT_SOURCES = ['clinic', 'telephone', 'video', 'records'] as const;
export const RETURN_TO_WORK = ['full', 'partial', 'no', 'not_applicable'] as const;

/** What a nurse records at a follow-up visit (domain guide §4); its existence completes the visit. */
@Entity('follow_up_assessment', { synchronize: false })
export class FollowUpAssessment extends ClinicalRecord {
  @Column({ name: 'visit_id', type: 'uuid' })
  visitId: string;

  @Column({ name: 'assessed_on', type: 'date' })
  assessedOn: string;

  /** How the information was obtained (`records`: from hospital or GP records, e.g. after withdrawal (a)). */
  @Column({ type: 'text' })
  source: (typeof ASSESSMENT_SOURCES)[number];

  @Column({ name: 'vital_status', type: 'text' })
  vitalStatus: 'alive' | 'dead';

  @Column({ name: 'died_on', type: 'date', nullable: true })
  diedOn: string | null;

  @Column({ name: 'cause_of_death', type: 'text', nullable: true })
  causeOfDeath: string | null;

  @Column({ name: 'cause_detail', type: 'text', nullable: true })
  causeDetail: string | null;

  /** Modified Rankin Scale, 0 (no symptoms) to 6 (dead). */
  @Column({ type: 'smallint', nullable: true })
  mrs: number | null;

  /** NYHA functional class I-IV, as 1-4. */
  @Column({ type: 'smallint', nullable: true })
  nyha: number | null;

  /** EQ-5D-5L dimensions, each level 1 (no problems) to 5 (extreme). */
  @Column({ name: 'eq5d_mobility', type: 'smallint', nullable: true })
  eq5dMobility: number | null;

  @Column({ name: 'eq5d_self_care', type: 'smallint', nullable: true })
  eq5dSelfCare: number | null;

  @Column({ name: 'eq5d_usual_activities', type: 'smallint', nullable: true })
  eq5dUsualActivities: number | null;

  @Column({ name: 'eq5d_pain_discomfort', type: 'smallint', nullable: true })
  eq5dPainDiscomfort: number | null;

  @Column({ name: 'eq5d_anxiety_depression', type: 'smallint', nullable: true })
  eq5dAnxietyDepression: number | null;

  /** EQ VAS, 0 (worst imaginable health) to 100 (best). */
  @Column({ name: 'eq_vas', type: 'smallint', nullable: true })
  eqVas: number | null;

  /** Hospital readmissions since the previous visit. */
  @Column({ type: 'smallint', nullable: true })
  readmissions: number | null;

  @Column({ name: 'return_to_work', type: 'text', nullable: true })
  returnToWork: (typeof RETURN_TO_WORK)[number] | null;
}
