/** What went wrong, for a log line or a stored failure: the message of an Error, the text of anything else. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
