/** Exit codes a pipeline can tell apart. */
export const EXIT = {
  ok: 0,
  /** A usage error, an API error or a network error. */
  error: 1,
  /**
   * `deployment watch`: a target failed (reported another version, timed out, superseded...).
   * `rollout watch`: a phase ended below its success threshold (the rollout waits for an approval).
   */
  targetsFailed: 3,
  /** `deployment watch --timeout` / `rollout watch --timeout`: still in progress when the time was up. */
  watchTimedOut: 4,
  /** `rollout watch`: the rollout was aborted by its abort criteria (or its version disappeared). */
  rolloutAborted: 5,
  /** `rollout watch`: someone cancelled the rollout. */
  rolloutCancelled: 6,
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
