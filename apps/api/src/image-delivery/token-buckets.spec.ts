import { TokenBuckets } from './token-buckets';

describe('TokenBuckets', () => {
  it('allows a burst, then the rate, per key', () => {
    let now = 0;
    const buckets = new TokenBuckets(10, 3, 100, () => now);
    expect([1, 2, 3, 4].map(() => buckets.take('gw-1'))).toEqual([true, true, true, false]);
    expect(buckets.take('gw-2')).toBe(true);
    now += 100;
    expect(buckets.take('gw-1')).toBe(true);
    expect(buckets.take('gw-1')).toBe(false);
  });

  it('stays bounded in keys', () => {
    const buckets = new TokenBuckets(1, 1, 10, () => 0);
    for (let i = 0; i < 1000; i++) expect(buckets.take(`gw-${i}`)).toBe(true);
    expect((buckets as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(10);
  });
});
