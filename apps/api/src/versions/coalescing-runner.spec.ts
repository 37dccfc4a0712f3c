import { CoalescingRunner } from './coalescing-runner';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('CoalescingRunner', () => {
  it('runs once for one request', async () => {
    const task = jest.fn(async () => undefined);
    await new CoalescingRunner(task, jest.fn()).request();
    expect(task).toHaveBeenCalledTimes(1);
  });

  it('coalesces requests made during a run into one more run that sees the newest state', async () => {
    let state = 0;
    const seen: number[] = [];
    const gate = deferred();
    const runner = new CoalescingRunner(async () => {
      seen.push(state);
      if (seen.length === 1) await gate.promise;
    }, jest.fn());
    const first = runner.request();
    state = 1;
    runner.request();
    state = 2;
    const last = runner.request();
    gate.resolve();
    await Promise.all([first, last]);
    expect(seen).toEqual([0, 2]);
  });

  it('tells when it is idle without running again', async () => {
    const gate = deferred();
    const task = jest.fn(() => gate.promise);
    const runner = new CoalescingRunner(task, jest.fn());
    await runner.idle();
    void runner.request();
    let idle = false;
    const waiting = runner.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    gate.resolve();
    await waiting;
    expect(task).toHaveBeenCalledTimes(1);
  });

  it('reports a failing run and keeps serving requests', async () => {
    const onError = jest.fn();
    let calls = 0;
    const runner = new CoalescingRunner(async () => {
      calls++;
      if (calls === 1) throw new Error('broker down');
    }, onError);
    await runner.request();
    await runner.request();
    expect(onError).toHaveBeenCalledWith(new Error('broker down'));
    expect(calls).toBe(2);
  });
});
