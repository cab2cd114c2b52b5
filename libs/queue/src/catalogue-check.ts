import { JobName } from './job-catalogue.js';

export interface FoundHandler {
  readonly job: string;
  /** `ClassName.method`, for the error message. */
  readonly location: string;
}

/**
 * The start-up check: every job of the catalogue has exactly one handler, and no handler names a job the
 * catalogue does not know. Returns the problems (empty when the worker may boot).
 */
export function catalogueProblems(
  handlers: readonly FoundHandler[],
  jobs: readonly string[] = Object.values(JobName),
): string[] {
  const problems: string[] = [];
  for (const job of jobs) {
    const found = handlers.filter((h) => h.job === job);
    if (found.length === 0) problems.push(`job "${job}" has no @JobHandler`);
    if (found.length > 1)
      problems.push(
        `job "${job}" has ${found.length} handlers: ${found
          .map((h) => h.location)
          .sort()
          .join(', ')}`,
      );
  }
  for (const handler of handlers) {
    if (!jobs.includes(handler.job))
      problems.push(`${handler.location} handles unknown job "${handler.job}"`);
  }
  return problems;
}
