/** A list whose first pages took at least this long to read is served from a snapshot (FerretDB scans and sorts to list)... */
export const SLOW_LIST_MS = 50;
/** ...when it has at least this many items in all: small lists stay exact (a loaded machine can make any read slow). */
export const CACHED_LIST_MIN = 1_000;
/** Items of a snapshot: the first pages of the list (4 pages of 50); deeper pages are always read. */
export const LIST_HEAD_ITEMS = 200;
/** A snapshot this old is served once more while a fresh one is read in the background... */
export const LIST_CACHE_REFRESH_MS = 5_000;
/** ...and one this old is never served: the request reads the list itself. */
export const LIST_CACHE_MAX_AGE_MS = 30_000;
/** Distinct lists (filters and sort) remembered at most; the oldest goes first. */
export const LIST_CACHE_MAX_ENTRIES = 100;

export interface ListHead<T> {
  items: T[];
  total: number;
}

export interface ListPage<T> extends ListHead<T> {
  /** True when served from a snapshot rather than read now. */
  cached: boolean;
}

interface Snapshot<T> extends ListHead<T> {
  readAt: number;
  refreshing: boolean;
}

/**
 * The first LIST_HEAD_ITEMS items of a list and its total, reused for a few seconds where reading
 * them is slow: on FerretDB (SQLite) every page of a large list decodes and sorts the whole
 * collection, so the same first page costs seconds under load however small. A snapshot is taken
 * only when its read took SLOW_LIST_MS or more and the list has CACHED_LIST_MIN items or more; it
 * is served as is up to LIST_CACHE_REFRESH_MS old, then once more each while a single background
 * read replaces it, and never beyond LIST_CACHE_MAX_AGE_MS. On MongoDB the indexed read is fast,
 * so nothing is cached there. Only a cache anyone can re-read: losing it costs one slow read.
 */
export class SlowListCache<T> {
  private readonly snapshots = new Map<string, Snapshot<T>>();

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly onRefreshError: (error: unknown) => void = () => undefined,
  ) {}

  /**
   * Items offset..offset+limit and the total. `readHead(n)` reads the first n items and the
   * total now; `readPage` reads a page beyond the head.
   */
  async page(
    key: string,
    offset: number,
    limit: number,
    readHead: (items: number) => Promise<ListHead<T>>,
    readPage: () => Promise<ListHead<T>>,
  ): Promise<ListPage<T>> {
    if (offset + limit > LIST_HEAD_ITEMS) return { ...(await readPage()), cached: false };
    const started = this.now();
    const snapshot = this.snapshots.get(key);
    const age = snapshot ? started - snapshot.readAt : Infinity;
    if (snapshot && age < LIST_CACHE_MAX_AGE_MS) {
      if (age >= LIST_CACHE_REFRESH_MS && !snapshot.refreshing) this.refresh(key, snapshot, readHead);
      return { items: snapshot.items.slice(offset, offset + limit), total: snapshot.total, cached: true };
    }
    this.snapshots.delete(key);
    const head = await readHead(LIST_HEAD_ITEMS);
    const finished = this.now();
    if (finished - started >= SLOW_LIST_MS && head.total >= CACHED_LIST_MIN) this.remember(key, { ...head, readAt: finished, refreshing: false });
    return { items: head.items.slice(offset, offset + limit), total: head.total, cached: false };
  }

  /** Forgets every snapshot (after an operator changed gateways through any API process, so that lists show the change). */
  clear(): void {
    this.snapshots.clear();
  }

  private refresh(key: string, snapshot: Snapshot<T>, readHead: (items: number) => Promise<ListHead<T>>): void {
    snapshot.refreshing = true;
    readHead(LIST_HEAD_ITEMS).then(
      (head) => {
        if (this.snapshots.get(key) === snapshot) this.remember(key, { ...head, readAt: this.now(), refreshing: false });
      },
      (error: unknown) => {
        if (this.snapshots.get(key) === snapshot) this.snapshots.delete(key);
        this.onRefreshError(error);
      },
    );
  }

  private remember(key: string, snapshot: Snapshot<T>): void {
    this.snapshots.delete(key);
    if (this.snapshots.size >= LIST_CACHE_MAX_ENTRIES) {
      const oldest = this.snapshots.keys().next();
      if (!oldest.done) this.snapshots.delete(oldest.value);
    }
    this.snapshots.set(key, snapshot);
  }
}
