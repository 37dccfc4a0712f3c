import { percentile, summarizeLatencies } from './stats';

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([1, 2, 3], 0)).toBe(1);
  });

  it('rejects an empty list', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
  });
});

describe('summarizeLatencies', () => {
  it('sorts a copy and summarizes it', () => {
    const samples = [5, 1, 4, 2, 3];
    expect(summarizeLatencies(samples)).toEqual({ count: 5, p50Ms: 3, p95Ms: 5, p99Ms: 5, maxMs: 5, meanMs: 3 });
    expect(samples).toEqual([5, 1, 4, 2, 3]);
  });
});
