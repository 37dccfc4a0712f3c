import { RequestRateLimiter } from './request-rate-limiter';

describe('RequestRateLimiter', () => {
  it('allows `limit` requests per key and window, then refuses until the next window', () => {
    const limiter = new RequestRateLimiter(3, 60_000);
    const start = 1_800_000_000_000;
    expect([1, 2, 3, 4].map(() => limiter.allow('gw-1', start))).toEqual([true, true, true, false]);
    expect(limiter.allow('gw-2', start + 1)).toBe(true);
    expect(limiter.allow('gw-1', start + 59_999)).toBe(false);
    expect(limiter.allow('gw-1', start + 60_000)).toBe(true);
  });
});
