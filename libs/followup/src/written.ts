import type { WrittenKind } from '../../registry/src/index.js';

/**
 * What follow-up reads of a settled patient change (the registry's extension point tells its hooks which one
 * kind of record the change wrote, or null when it may have written anything), in one place.
 */

/** Follow-up's own kinds of record, as the registry's change frame is told it wrote them. */
export const APPOINTMENT_WRITTEN = 'followUp.appointment' satisfies WrittenKind;
export const ASSESSMENT_WRITTEN = 'followUp.assessment' satisfies WrittenKind;

/**
 * Whether a change that wrote `wrote` can move the follow-up plan (the visits, their states, the reminders).
 * A complication cannot: the plan reads the operation, the runs, the outcome, consent and follow-up's own
 * records, never a complication. The planner skips such a change, and so do the shared reads made for it.
 */
export function mayReplan(wrote: WrittenKind | null): boolean {
  return wrote !== 'complication';
}

/**
 * Whether a change that wrote `wrote` can break the assessments' checks: they read the operation, the runs,
 * the outcome and the visits' plan, which neither a complication nor an appointment changes.
 */
export function mayBreakAssessments(wrote: WrittenKind | null): boolean {
  return mayReplan(wrote) && wrote !== APPOINTMENT_WRITTEN;
}
