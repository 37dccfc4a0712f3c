/** Exit codes a pipeline can tell apart. */
export const EXIT = {
  ok: 0,
  /** A usage error, an API error or a network error. */
  error: 1,
  /** `deployment watch`: a target failed (reported another version, timed out, superseded...). */
  targetsFailed: 3,
  /** `deployment watch --timeout`: targets still pending when the time was up. */
  watchTimedOut: 4,
} as const;

/** An error that ends the command with a message and an exit code instead of a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
