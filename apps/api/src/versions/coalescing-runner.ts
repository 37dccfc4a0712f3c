/**
 * Runs a task again after the current run whenever it was requested meanwhile, never two at once:
 * a burst of requests costs at most two runs, and the last run sees the newest state.
 */
export class CoalescingRunner {
  private running: Promise<void> | null = null;
  private requested = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Resolves when a run that started after this call has finished. Never rejects. */
  request(): Promise<void> {
    this.requested = true;
    this.running ??= this.drain();
    return this.running;
  }

  /** Resolves when no run is going on; requests no new run. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    try {
      while (this.requested) {
        this.requested = false;
        try {
          await this.task();
        } catch (error) {
          this.onError(error);
        }
      }
    } finally {
      this.running = null;
    }
  }
}
