import { delayAfter } from './login-throttle';

describe('delayAfter', () => {
  const rule = { freeFailures: 3, maxDelayMs: 60_000 };

  it('lets the free failures through, then doubles from one second up to the maximum', () => {
    expect([0, 1, 2].map((failures) => delayAfter(failures, rule))).toEqual([0, 0, 0]);
    expect([3, 4, 5, 6].map((failures) => delayAfter(failures, rule))).toEqual([1000, 2000, 4000, 8000]);
    expect(delayAfter(9, rule)).toBe(60_000);
    expect(delayAfter(1000, rule)).toBe(60_000);
  });
});
