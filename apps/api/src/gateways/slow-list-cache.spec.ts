import {
  CACHED_LIST_MIN,
  LIST_CACHE_MAX_AGE_MS,
  LIST_CACHE_MAX_ENTRIES,
  LIST_CACHE_REFRESH_MS,
  LIST_HEAD_ITEMS,
  SLOW_LIST_MS,
  SlowListCache,
  type ListHead,
} from './slow-list-cache';

describe('SlowListCache', () => {
  let clock = 0;
  const cache = () => new SlowListCache<number>(() => clock);
  const list = (total: number, firstItem = 0) => Array.from({ length: Math.min(total, LIST_HEAD_ITEMS) }, (_, i) => firstItem + i);
  const reader = (total: number, takesMs: number, firstItem = 0) =>
    jest.fn(async (items: number): Promise<ListHead<number>> => {
      clock += takesMs;
      return { items: list(total, firstItem).slice(0, items), total };
    });
  const noPage = jest.fn(async (): Promise<ListHead<number>> => ({ items: [], total: 0 }));
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(() => (clock = 1_000));

  it('reads the list every time while reading is fast, and keeps a small list exact however slow', async () => {
    const pages = cache();
    const fast = reader(10_000, SLOW_LIST_MS - 1);
    expect(await pages.page('k', 0, 50, fast, noPage)).toEqual({ items: list(50), total: 10_000, cached: false });
    await pages.page('k', 0, 50, fast, noPage);
    expect(fast).toHaveBeenCalledTimes(2);
    const small = reader(CACHED_LIST_MIN - 1, 10 * SLOW_LIST_MS);
    await pages.page('s', 0, 50, small, noPage);
    await pages.page('s', 0, 50, small, noPage);
    expect(small).toHaveBeenCalledTimes(2);
  });

  it('serves the first pages of a slow list from its snapshot, per key, and reads deeper pages', async () => {
    const pages = cache();
    const slow = reader(10_000, SLOW_LIST_MS);
    await pages.page('k', 0, 50, slow, noPage);
    expect(await pages.page('k', 50, 50, reader(1, 0), noPage)).toEqual({ items: list(100).slice(50), total: 10_000, cached: true });
    expect((await pages.page('other', 0, 50, reader(3, 0), noPage)).total).toBe(3);
    const deep = jest.fn(async () => ({ items: [7], total: 10_000 }));
    expect(await pages.page('k', LIST_HEAD_ITEMS - 49, 50, slow, deep)).toEqual({ items: [7], total: 10_000, cached: false });
    expect(slow).toHaveBeenCalledTimes(1);
  });

  it('replaces an old snapshot in the background, once, and never serves one past its maximum age', async () => {
    const pages = cache();
    await pages.page('k', 0, 50, reader(10_000, SLOW_LIST_MS), noPage);
    clock += LIST_CACHE_REFRESH_MS;
    let finishRead = () => undefined as void;
    const readDone = new Promise<void>((resolve) => (finishRead = resolve));
    const fresh = jest.fn(async (items: number) => {
      await readDone;
      return { items: list(10_001, 100).slice(0, items), total: 10_001 };
    });
    expect((await pages.page('k', 0, 50, fresh, noPage)).total).toBe(10_000);
    expect((await pages.page('k', 0, 50, fresh, noPage)).total).toBe(10_000);
    expect(fresh).toHaveBeenCalledTimes(1);
    finishRead();
    await flush();
    expect(await pages.page('k', 0, 1, fresh, noPage)).toEqual({ items: [100], total: 10_001, cached: true });
    clock += LIST_CACHE_MAX_AGE_MS;
    expect(await pages.page('k', 0, 1, reader(5, 0), noPage)).toEqual({ items: [0], total: 5, cached: false });
  });

  it('drops a snapshot whose refresh fails, and reports the failure', async () => {
    const failures: unknown[] = [];
    const pages = new SlowListCache<number>(
      () => clock,
      (error) => failures.push(error),
    );
    await pages.page('k', 0, 50, reader(10_000, SLOW_LIST_MS), noPage);
    clock += LIST_CACHE_REFRESH_MS;
    await pages.page('k', 0, 50, () => Promise.reject(new Error('database gone')), noPage);
    await flush();
    expect(failures).toHaveLength(1);
    expect((await pages.page('k', 0, 50, reader(2, 0), noPage)).cached).toBe(false);
  });

  it('forgets every snapshot on clear, and the oldest beyond its bound', async () => {
    const pages = cache();
    for (let i = 0; i <= LIST_CACHE_MAX_ENTRIES; i++) await pages.page(`k${i}`, 0, 50, reader(10_000, SLOW_LIST_MS), noPage);
    expect((await pages.page('k0', 0, 50, reader(1, 0), noPage)).cached).toBe(false);
    expect((await pages.page(`k${LIST_CACHE_MAX_ENTRIES}`, 0, 50, reader(1, 0), noPage)).cached).toBe(true);
    pages.clear();
    expect((await pages.page(`k${LIST_CACHE_MAX_ENTRIES}`, 0, 50, reader(1, 0), noPage)).cached).toBe(false);
  });
});
