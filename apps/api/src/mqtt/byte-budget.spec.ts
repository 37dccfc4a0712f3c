import { ByteBudget } from './byte-budget';

describe('ByteBudget', () => {
  it('lets requests in while they fit and queues the rest in order', async () => {
    const budget = new ByteBudget(10);
    const granted: string[] = [];
    const first = await budget.acquire(6);
    const second = budget.acquire(6).then((release) => (granted.push('second'), release));
    const third = budget.acquire(1).then((release) => (granted.push('third'), release));
    await Promise.resolve();
    expect(granted).toEqual([]);
    expect(budget.bytesInUse).toBe(6);

    first();
    (await second)();
    (await third)();
    expect(granted).toEqual(['second', 'third']);
    expect(budget.bytesInUse).toBe(0);
  });

  it('lets a request larger than the budget through alone', async () => {
    const budget = new ByteBudget(10);
    const release = await budget.acquire(50);
    expect(budget.bytesInUse).toBe(50);
    release();
    release();
    expect(budget.bytesInUse).toBe(0);
  });
});
