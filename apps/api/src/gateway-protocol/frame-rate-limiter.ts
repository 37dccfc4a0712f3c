import type { Counter, CounterConfiguration } from 'prom-client';
import { TokenBuckets } from '../image-delivery/token-buckets';

/** The reason a frame over its type's rate counts under, in its type's refusal counter. */
export const RATE_LIMITED_REFUSAL = 'rate-limited';

/** A type's refusal counter as its handler declares it (MetricsService gives both the one registered under its name). */
export type RefusalCounter = Pick<CounterConfiguration<'reason'>, 'name' | 'help' | 'labelNames'>;

export interface FrameRateLimit {
  /** Frames one gateway may have read per second once its burst is spent. */
  ratePerS: number;
  burst: number;
  /** Where a frame over the rate counts, as `reason="rate-limited"`: with its type's refusals after reading. */
  refusals: RefusalCounter;
}

/**
 * Drops each gateway's frames over a rate before anything reads them (a token bucket per gateway,
 * bounded in gateways), so that a flood costs a token check per frame, not a CRC and a parse.
 * Per process, like RequestRateLimiter and LatestFramePacer.
 */
export class FrameRateLimiter {
  private readonly buckets: TokenBuckets;

  constructor(
    limit: FrameRateLimit,
    private readonly refused: Counter.Internal,
    now?: () => number,
  ) {
    this.buckets = new TokenBuckets(limit.ratePerS, limit.burst, undefined, now);
  }

  /** Takes one of the gateway's tokens; false, and counted, when it has none left. */
  admits(gatewayId: string): boolean {
    if (this.buckets.take(gatewayId)) return true;
    this.refused.inc();
    return false;
  }
}
