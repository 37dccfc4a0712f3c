const FIRST_WAIT_MS = 30_000;
const LONGEST_WAIT_MS = 300_000;

/**
 * When the rollout controller recounts a rollout's targets (a scan on FerretDB): once its counts
 * have not moved for 30 s while targets are open, then after twice as long each time nothing moved,
 * up to 5 min. What it remembers only spaces the recounts; the recount itself is conditional.
 */
export class RecountSchedule {
  private readonly quiet = new Map<string, { version: number; since: number; waitMs: number }>();

  due(rolloutId: string, countsVersion: number, open: number, nowMs: number): boolean {
    const entry = this.quiet.get(rolloutId);
    if (!entry || entry.version !== countsVersion) {
      this.quiet.set(rolloutId, { version: countsVersion, since: nowMs, waitMs: FIRST_WAIT_MS });
      return false;
    }
    return open > 0 && nowMs - entry.since >= entry.waitMs;
  }

  done(rolloutId: string, countsVersion: number, nowMs: number): void {
    const waitMs = Math.min(LONGEST_WAIT_MS, (this.quiet.get(rolloutId)?.waitMs ?? FIRST_WAIT_MS / 2) * 2);
    this.quiet.set(rolloutId, { version: countsVersion, since: nowMs, waitMs });
  }

  forget(rolloutId: string): void {
    this.quiet.delete(rolloutId);
  }
}
