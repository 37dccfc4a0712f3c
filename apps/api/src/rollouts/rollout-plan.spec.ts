import { phaseAt, phaseDelays, phaseEnds, randomOrder, retryDelayMs } from './rollout-plan';

describe('rollout plan', () => {
  it('gives each position a delay below the jitter, ascending within each phase and starting over at the next', () => {
    const values = [0.9, 0.1, 0.5, 0.7, 0.2];
    const delays = phaseDelays([3, 5], 1000, () => values.shift() ?? 0);
    expect(delays).toEqual([100, 500, 900, 200, 700]);
    expect(phaseDelays([4], 0)).toEqual([0, 0, 0, 0]);
  });

  it('ends percent phases at their cumulative share, rounded up, and count phases that many later', () => {
    expect(phaseEnds(100, [{ percent: 10 }, { percent: 50 }, { percent: 100 }])).toEqual([10, 50, 100]);
    expect(phaseEnds(10, [{ percent: 1 }, { percent: 100 }])).toEqual([1, 10]);
    expect(phaseEnds(10, [{ count: 2 }, { count: 3 }, { percent: 100 }])).toEqual([2, 5, 10]);
    expect(phaseEnds(3, [{ count: 5 }, { percent: 100 }])).toEqual([3, 3]);
    expect(phaseEnds(10, [{ percent: 50 }, { percent: 20 }])).toEqual([5, 5]);
    expect(phaseEnds(10, [{ count: 4 }])).toEqual([4]);
  });

  it('places a position in its phase, -1 beyond the last', () => {
    const ends = [1, 5, 10];
    expect([0, 1, 4, 5, 9, 10].map((position) => phaseAt(position, ends))).toEqual([0, 1, 1, 2, 2, -1]);
  });

  it('shuffles into a permutation', () => {
    const order = randomOrder(50);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, index) => index));
    expect(randomOrder(4, () => 0)).toEqual([1, 2, 3, 0]);
  });

  it('doubles the retry delay with each attempt, capped at a day', () => {
    expect([1, 2, 3].map((attempts) => retryDelayMs(10, attempts))).toEqual([10_000, 20_000, 40_000]);
    expect(retryDelayMs(86_400, 5)).toBe(86_400_000);
  });
});
