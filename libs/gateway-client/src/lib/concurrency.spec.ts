import { forEachConcurrently } from './concurrency';

describe('forEachConcurrently', () => {
  it('runs every item, never more than the limit at once, and collects failures', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    const failures = await forEachConcurrently([1, 2, 3, 4, 5, 6, 7], 3, async (item, index) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      seen.push(item);
      expect(index).toBe(item - 1);
      if (item % 3 === 0) throw new Error(`no ${item}`);
    });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
    expect(failures.map((failure) => failure.item)).toEqual([3, 6]);
  });

  it('accepts an empty list and rejects a bad limit', async () => {
    await expect(forEachConcurrently([], 5, async () => undefined)).resolves.toEqual([]);
    await expect(forEachConcurrently([1], 0, async () => undefined)).rejects.toThrow(RangeError);
  });
});
