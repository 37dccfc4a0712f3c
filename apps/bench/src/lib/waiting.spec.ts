import { BenchTimeoutError, Countdown, pollUntil, withTimeout } from './waiting';

describe('Countdown', () => {
  it('resolves when the target is reached', async () => {
    const countdown = new Countdown(2);
    countdown.tick();
    countdown.tick();
    countdown.tick();
    await expect(countdown.done).resolves.toEqual(expect.any(Number));
    expect(countdown.value).toBe(3);
  });

  it('is done at once for nothing to count', async () => {
    await expect(new Countdown(0).done).resolves.toEqual(expect.any(Number));
  });
});

describe('withTimeout', () => {
  it('passes the value through or times out with the progress', async () => {
    await expect(withTimeout(Promise.resolve(1), 100, 'x')).resolves.toBe(1);
    await expect(withTimeout(new Promise(() => undefined), 10, 'step', () => '3/5')).rejects.toThrow(new BenchTimeoutError('step: not done within 0 s (3/5)'));
  });
});

describe('pollUntil', () => {
  it('polls until the check passes', async () => {
    let calls = 0;
    await pollUntil(async () => ++calls === 3, { timeoutMs: 1000, intervalMs: 1, what: 'x' });
    expect(calls).toBe(3);
  });

  it('gives up after the time-out', async () => {
    await expect(pollUntil(async () => false, { timeoutMs: 5, intervalMs: 1, what: 'never' })).rejects.toBeInstanceOf(BenchTimeoutError);
  });

  it('gives up when the progress stalls', async () => {
    await expect(
      pollUntil(async () => false, { timeoutMs: 10_000, intervalMs: 1, what: 'stuck', stallMs: 20, progressValue: () => 3, progress: () => '3/5' }),
    ).rejects.toThrow('stuck: no progress for 0 s (3/5)');
  });

  it('passes a failing check on', async () => {
    await expect(pollUntil(() => Promise.reject(new Error('boom')), { timeoutMs: 100, intervalMs: 1, what: 'x' })).rejects.toThrow('boom');
  });
});
