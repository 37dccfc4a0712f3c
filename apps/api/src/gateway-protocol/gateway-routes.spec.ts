import { RequestRateLimiter } from '../gateway-admission/request-rate-limiter';
import { PROGRESS_BURST, PROGRESS_PER_S } from '../image-delivery/delivery-progress.service';
import { TokenBuckets } from '../image-delivery/token-buckets';
import { PROGRESS_PACE, requestRateLimit } from './gateway-routes';

// A deterministic pseudo-random sequence (mulberry32), so that a failure can be replayed.
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Arrival times (ms) of a gateway's messages: bursts at random moments over a few minutes. */
function arrivals(next: () => number, count: number): number[] {
  const times: number[] = [];
  let now = Math.floor(next() * 60_000);
  while (times.length < count) {
    now += Math.floor(next() ** 3 * 20_000);
    const burst = 1 + Math.floor(next() * 40);
    for (let index = 0; index < burst; index++) times.push(now + index);
  }
  return times;
}

const acceptedBy = (bucket: TokenBuckets, times: number[], clock: { now: number }) =>
  times.filter((time) => {
    clock.now = time;
    return bucket.take('gw-1');
  });

describe('the limits before reading (gateway routes)', () => {
  it.each([30, 1, 600])('never refuse a request that GatewayRequestGate would serve a gateway that keeps to %i a minute', (perMinute) => {
    const next = random(perMinute);
    for (let run = 0; run < 200; run++) {
      // What a gateway within the limit sends: the requests the gate's limiter serves.
      const limiter = new RequestRateLimiter(perMinute, 60_000);
      const served = arrivals(next, 300).filter((time) => limiter.allow('gw-1', time));
      const clock = { now: 0 };
      const { ratePerS, burst } = requestRateLimit(perMinute);
      expect(acceptedBy(new TokenBuckets(ratePerS, burst, undefined, () => clock.now), served, clock)).toEqual(served);
    }
  });

  it('never refuse a Progress report DeliveryProgressService would take, with up to ten of its free final reports at once', () => {
    const next = random(7);
    for (let run = 0; run < 200; run++) {
      const clock = { now: 0 };
      const served = acceptedBy(new TokenBuckets(PROGRESS_PER_S, PROGRESS_BURST, undefined, () => clock.now), arrivals(next, 300), clock);
      // Final reports pass DeliveryProgressService's bucket free: add them where they take most.
      const finals = served.slice(0, 1).flatMap((time) => Array<number>(PROGRESS_BURST).fill(time));
      const reports = [...finals, ...served].sort((a, b) => a - b);
      const { ratePerS, burst } = PROGRESS_PACE;
      expect(acceptedBy(new TokenBuckets(ratePerS, burst, undefined, () => clock.now), reports, clock)).toEqual(reports);
    }
  });
});
