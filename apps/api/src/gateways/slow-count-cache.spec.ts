import { CACHED_COUNT_MIN, COUNT_CACHE_MAX_ENTRIES, COUNT_CACHE_TTL_MS, SLOW_COUNT_MS, SlowCountCache } from './slow-count-cache';

describe('SlowCountCache', () => {
  let clock = 0;
  const cache = () => new SlowCountCache(() => clock);
  const counter = (value: number, takesMs: number) =>
    jest.fn(async () => {
      clock += takesMs;
      return value;
    });

  beforeEach(() => (clock = 1_000));

  it('counts again every time while counting is fast', async () => {
    const counts = cache();
    const fast = counter(7, SLOW_COUNT_MS - 1);
    expect(await counts.count('k', fast)).toBe(7);
    expect(await counts.count('k', fast)).toBe(7);
    expect(fast).toHaveBeenCalledTimes(2);
  });

  it('keeps a small total exact however slow its count', async () => {
    const counts = cache();
    expect(await counts.count('k', counter(CACHED_COUNT_MIN - 1, 10 * SLOW_COUNT_MS))).toBe(CACHED_COUNT_MIN - 1);
    expect(await counts.count('k', counter(CACHED_COUNT_MIN, 0))).toBe(CACHED_COUNT_MIN);
  });

  it('reuses a slow count until it expires, per key', async () => {
    const counts = cache();
    const slow = counter(10_000, SLOW_COUNT_MS);
    expect(await counts.count('k', slow)).toBe(10_000);
    clock += COUNT_CACHE_TTL_MS - 1;
    expect(await counts.count('k', counter(1, 0))).toBe(10_000);
    expect(await counts.count('other', counter(3, 0))).toBe(3);
    clock += 1;
    expect(await counts.count('k', counter(10_001, 0))).toBe(10_001);
  });

  it('forgets the oldest key beyond its bound', async () => {
    const counts = cache();
    for (let i = 0; i <= COUNT_CACHE_MAX_ENTRIES; i++) await counts.count(`k${i}`, counter(CACHED_COUNT_MIN + i, SLOW_COUNT_MS));
    expect(await counts.count('k0', counter(-1, 0))).toBe(-1);
    expect(await counts.count(`k${COUNT_CACHE_MAX_ENTRIES}`, counter(-1, 0))).toBe(CACHED_COUNT_MIN + COUNT_CACHE_MAX_ENTRIES);
  });
});
