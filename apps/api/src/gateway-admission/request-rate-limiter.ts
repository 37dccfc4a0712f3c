/**
 * At most `limit` requests per key in each fixed window. Kept per process: with several API
 * processes sharing the gateway subscriptions a gateway gets at most `limit` per process, still a
 * bound; what it protects (memory, CPU, the broker) is per process too.
 */
export class RequestRateLimiter {
  private windowStart = 0;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** True when the request may be served (and counts it), false when the key is over its limit. */
  allow(key: string, now = Date.now()): boolean {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now - (now % this.windowMs);
      this.counts.clear();
    }
    const count = this.counts.get(key) ?? 0;
    if (count >= this.limit) return false;
    this.counts.set(key, count + 1);
    return true;
  }
}
