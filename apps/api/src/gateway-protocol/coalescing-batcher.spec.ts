import { CoalescingBatcher, type CoalescingBatcherOptions } from './coalescing-batcher';

interface Entry {
  value: number;
  seen: number;
}

function setup(overrides: Partial<CoalescingBatcherOptions<string, Entry>> = {}) {
  const batches: Array<Map<string, Entry>> = [];
  const errors: number[] = [];
  let active = 0;
  let maxActive = 0;
  const options: CoalescingBatcherOptions<string, Entry> = {
    async write(batch) {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setTimeout(resolve, 5));
      active--;
      batches.push(new Map(batch));
    },
    merge: (older, newer) => ({ value: newer.value, seen: Math.max(older.seen, newer.seen) }),
    intervalMs: 20,
    maxEntries: 3,
    retryBaseMs: 5,
    retryMaxMs: 20,
    onWriteError: (_error, attempt) => errors.push(attempt),
    ...overrides,
  };
  const batcher = new CoalescingBatcher(options);
  return { batcher, batches, errors, maxActive: () => maxActive };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!check()) throw new Error('condition not met');
}

describe('CoalescingBatcher', () => {
  it('coalesces repeated keys into one entry, merged in arrival order', async () => {
    const { batcher, batches } = setup({ maxEntries: 100 });
    batcher.add('gw-1', { value: 1, seen: 10 });
    batcher.add('gw-2', { value: 7, seen: 5 });
    batcher.add('gw-1', { value: 2, seen: 3 });
    expect(batcher.size).toBe(2);
    await until(() => batches.length === 1);
    expect([...batches[0].entries()]).toEqual([
      ['gw-1', { value: 2, seen: 10 }],
      ['gw-2', { value: 7, seen: 5 }],
    ]);
    expect(batcher.size).toBe(0);
  });

  it('writes at once when a batch is full, in chunks of maxEntries, one write at a time', async () => {
    const { batcher, batches, maxActive } = setup({ intervalMs: 60_000 });
    for (let i = 0; i < 7; i++) batcher.add(`gw-${i}`, { value: i, seen: i });
    await until(() => batches.reduce((sum, batch) => sum + batch.size, 0) === 6);
    expect(batches.map((batch) => batch.size)).toEqual([3, 3]);
    // The last entry waits for the interval or an explicit flush.
    await batcher.flush();
    expect(batches.map((batch) => batch.size)).toEqual([3, 3, 1]);
    expect(maxActive()).toBe(1);
    await batcher.close();
  });

  it('counts the batch being written as unwritten until its write is done', async () => {
    let finish: () => void = () => undefined;
    const { batcher } = setup({ write: () => new Promise<void>((resolve) => (finish = resolve)), maxEntries: 100 });
    batcher.add('gw-1', { value: 1, seen: 1 });
    batcher.add('gw-2', { value: 2, seen: 1 });
    expect(batcher.unwritten).toBe(2);
    await until(() => batcher.size === 0);
    expect(batcher.unwritten).toBe(2);
    finish();
    await until(() => batcher.unwritten === 0);
  });

  it('puts a failed batch back, merges newer entries on top and retries until it succeeds', async () => {
    let calls = 0;
    const written: Array<Map<string, Entry>> = [];
    const { batcher, errors } = setup({
      async write(batch) {
        calls++;
        if (calls <= 2) {
          // Something arrives while the failing write is in flight.
          if (calls === 1) batcher.add('gw-1', { value: 9, seen: 1 });
          throw new Error('database unavailable');
        }
        written.push(new Map(batch));
      },
    });
    batcher.add('gw-1', { value: 1, seen: 50 });
    batcher.add('gw-2', { value: 2, seen: 1 });
    await until(() => written.length === 1);
    expect(errors).toEqual([1, 2]);
    expect(written[0].get('gw-1')).toEqual({ value: 9, seen: 50 });
    expect(written[0].get('gw-2')).toEqual({ value: 2, seen: 1 });
    expect(batcher.size).toBe(0);
  });

  it('close writes what is left and returns what could not be written', async () => {
    const { batcher, batches } = setup({ intervalMs: 60_000, maxEntries: 100 });
    batcher.add('gw-1', { value: 1, seen: 1 });
    expect((await batcher.close()).size).toBe(0);
    expect(batches).toHaveLength(1);

    const failing = setup({
      intervalMs: 60_000,
      write: () => Promise.reject(new Error('down')),
    });
    failing.batcher.add('gw-9', { value: 1, seen: 1 });
    const left = await failing.batcher.close(2);
    expect([...left.keys()]).toEqual(['gw-9']);
    expect(failing.errors).toEqual([1, 2]);
  });

  it('keeps working when the error callback throws', async () => {
    let calls = 0;
    const written: string[] = [];
    const { batcher } = setup({
      async write(batch) {
        if (++calls === 1) throw new Error('once');
        written.push(...batch.keys());
      },
      onWriteError: () => {
        throw new Error('logger broke');
      },
    });
    batcher.add('gw-1', { value: 1, seen: 1 });
    await until(() => written.length === 1);
    expect(written).toEqual(['gw-1']);
  });

  it('tells each add when its entry is written, after retries, and false for what close left unwritten', async () => {
    let failNext = 1;
    const { batcher } = setup({
      maxEntries: 100,
      write: async () => {
        if (failNext-- > 0) throw new Error('database down');
      },
    });
    const first = batcher.add('gw-1', { value: 1, seen: 1 });
    const merged = batcher.add('gw-1', { value: 2, seen: 2 });
    await expect(first).resolves.toBe(true);
    await expect(merged).resolves.toBe(true);

    failNext = 10;
    const unwritten = batcher.add('gw-2', { value: 3, seen: 3 });
    const lost = await batcher.close(2);
    expect([...lost.keys()]).toEqual(['gw-2']);
    await expect(unwritten).resolves.toBe(false);
  });

  it('tells an add during a failed write of its key, and the adds of that write, once the retry has written both', async () => {
    let release: (error?: Error) => void = () => undefined;
    const written: Array<Map<string, Entry>> = [];
    const { batcher } = setup({
      maxEntries: 100,
      write: (batch) =>
        new Promise<void>((resolve, reject) => {
          release = (error) => (error ? reject(error) : (written.push(new Map(batch)), resolve()));
        }),
    });
    const outcomes: Array<boolean | 'waiting'> = ['waiting', 'waiting', 'waiting'];
    const track = (index: number, promise: Promise<boolean>) => void promise.then((value) => (outcomes[index] = value));
    track(0, batcher.add('gw-1', { value: 1, seen: 1 }));
    // Repeated adds of a waiting key wait on its one write.
    expect(batcher.add('gw-1', { value: 1, seen: 1 })).toBe(batcher.add('gw-1', { value: 1, seen: 1 }));
    await until(() => batcher.unwritten === 1 && batcher.size === 0);
    track(1, batcher.add('gw-1', { value: 2, seen: 2 }));
    track(2, batcher.add('gw-2', { value: 3, seen: 3 }));
    release(new Error('database down'));
    await until(() => batcher.size === 0 && batcher.unwritten === 2);
    expect(outcomes).toEqual(['waiting', 'waiting', 'waiting']);
    release();
    await until(() => !outcomes.includes('waiting'));
    expect(outcomes).toEqual([true, true, true]);
    expect([...written[0].entries()]).toEqual([
      ['gw-1', { value: 2, seen: 2 }],
      ['gw-2', { value: 3, seen: 3 }],
    ]);
  });

  describe('with a write longer than the interval', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('writes what arrived during it right after it (the interval counts from arrival), and a later arrival after the interval', async () => {
      const batches: string[][] = [];
      let release: () => void = () => undefined;
      const { batcher } = setup({
        intervalMs: 1000,
        maxEntries: 100,
        write: async (batch) => {
          batches.push([...batch.keys()]);
          await new Promise<void>((resolve) => (release = resolve));
        },
      });
      batcher.add('gw-a', { value: 1, seen: 1 });
      await jest.advanceTimersByTimeAsync(1000);
      expect(batches).toEqual([['gw-a']]);
      batcher.add('gw-b', { value: 2, seen: 2 });
      await jest.advanceTimersByTimeAsync(1500);
      release();
      await jest.advanceTimersByTimeAsync(0);
      expect(batches).toEqual([['gw-a'], ['gw-b']]);
      release();
      await jest.advanceTimersByTimeAsync(0);
      batcher.add('gw-c', { value: 3, seen: 3 });
      await jest.advanceTimersByTimeAsync(999);
      expect(batches).toHaveLength(2);
      await jest.advanceTimersByTimeAsync(1);
      expect(batches).toEqual([['gw-a'], ['gw-b'], ['gw-c']]);
      release();
    });
  });
});
