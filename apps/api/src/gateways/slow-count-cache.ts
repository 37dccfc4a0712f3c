/** A count that takes at least this long to compute is reused for CACHE_TTL_MS (FerretDB scans to count)... */
export const SLOW_COUNT_MS = 50;
/** ...when it is at least this large: small totals stay exact (a loaded machine can make any count slow). */
export const CACHED_COUNT_MIN = 1_000;
export const COUNT_CACHE_TTL_MS = 5_000;
/** Distinct filters remembered at most; the oldest goes first. */
export const COUNT_CACHE_MAX_ENTRIES = 1_000;

interface Entry {
  value: number;
  expiresAt: number;
}

/**
 * Counts that are exact where counting is cheap and up to COUNT_CACHE_TTL_MS old where it is not:
 * a count of CACHED_COUNT_MIN or more that took SLOW_COUNT_MS or more is remembered under its key
 * for COUNT_CACHE_TTL_MS.
 * Only a cache of a number anyone can recount: losing it (another process, a restart) costs one
 * recount, never a wrong decision. Bounded to COUNT_CACHE_MAX_ENTRIES keys.
 */
export class SlowCountCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  async count(key: string, countNow: () => Promise<number>): Promise<number> {
    const started = this.now();
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > started) return cached.value;
    this.entries.delete(key);
    const value = await countNow();
    const finished = this.now();
    if (finished - started >= SLOW_COUNT_MS && value >= CACHED_COUNT_MIN) this.remember(key, { value, expiresAt: finished + COUNT_CACHE_TTL_MS });
    return value;
  }

  private remember(key: string, entry: Entry): void {
    if (this.entries.size >= COUNT_CACHE_MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, entry);
  }
}
