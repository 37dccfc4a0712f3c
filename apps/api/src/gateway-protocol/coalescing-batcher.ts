export interface CoalescingBatcherOptions<K, V> {
  /** Writes one batch; a rejection puts the batch back and retries it later. */
  write(batch: Map<K, V>): Promise<void>;
  /** Combines two entries of one key, `older` first. */
  merge(older: V, newer: V): V;
  /** A batch is written at most this long after its first entry arrived (or at once after a longer write). */
  intervalMs: number;
  /** A batch is written at once when it holds this many keys; larger backlogs go in chunks of this size. */
  maxEntries: number;
  /** First retry delay; doubled on every consecutive failure up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  onWriteError(error: unknown, attempt: number, size: number): void;
}

/** What the callers of `add` for one pending key wait on: true once written, false when the batcher closed first. */
interface Ticket {
  written: Promise<boolean>;
  settle(written: boolean): void;
}

function ticket(): Ticket {
  let settle: (written: boolean) => void = () => undefined;
  const written = new Promise<boolean>((resolve) => (settle = resolve));
  return { written, settle };
}

// Both settle together: the entry of a failed write merged with the entry added meanwhile.
function joined(older: Ticket, newer: Ticket): Ticket {
  return {
    written: older.written,
    settle: (written) => {
      older.settle(written);
      newer.settle(written);
    },
  };
}

/**
 * Collects entries in memory, one per key (later entries merge into earlier ones), and writes
 * them in batches: after `intervalMs`, or at once at `maxEntries`. One write runs at a time, so
 * writes for one key keep their order. A failed batch is merged back and retried with backoff;
 * since entries coalesce per key, the backlog of an outage is bounded by the number of keys.
 * `add` tells when its entry is written, so a message can be acknowledged once it is stored.
 */
export class CoalescingBatcher<K, V> {
  private pending = new Map<K, V>();
  // Who waits for each pending key's write: one ticket per key however many entries merged into it.
  private waiters = new Map<K, Ticket>();
  private timer: NodeJS.Timeout | null = null;
  // When the oldest entry still waiting arrived (Date.now()); null when none waits.
  private firstPendingAt: number | null = null;
  // Writes run one after another on this chain; `writing` is true while one runs.
  private queue: Promise<void> = Promise.resolve();
  private writing = false;
  // Keys of the batch being written.
  private inFlight = 0;
  private failures = 0;
  private closed = false;

  constructor(private readonly options: CoalescingBatcherOptions<K, V>) {}

  /** Keys waiting to be written (not counting a write in progress). */
  get size(): number {
    return this.pending.size;
  }

  /** Keys not written yet: waiting, or in the write in progress (a key in both counts twice). */
  get unwritten(): number {
    return this.pending.size + this.inFlight;
  }

  /** Resolves true once the entry (merged with later ones) is written, false if the batcher closed first. */
  add(key: K, value: V): Promise<boolean> {
    const previous = this.pending.get(key);
    if (this.pending.size === 0) this.firstPendingAt = Date.now();
    this.pending.set(key, previous === undefined ? value : this.options.merge(previous, value));
    let waiting = this.waiters.get(key);
    if (!waiting) {
      waiting = ticket();
      this.waiters.set(key, waiting);
    }
    const { written } = waiting;
    if (this.closed) return written;
    if (this.pending.size >= this.options.maxEntries && this.failures === 0) this.schedule(0);
    else this.schedule(this.options.intervalMs);
    return written;
  }

  /** Writes everything pending now (retrying failures up to `attempts` times); resolves when done. */
  async flush(attempts = 1): Promise<void> {
    this.clearTimer();
    await this.queue;
    let failed = 0;
    while (this.pending.size > 0 && failed < attempts) {
      if (await this.writeNext()) failed = 0;
      else failed++;
    }
  }

  /** Stops the timer and writes what is left; returns the entries that could not be written. */
  async close(attempts = 3): Promise<Map<K, V>> {
    this.closed = true;
    await this.flush(attempts);
    this.clearTimer();
    for (const waiting of this.waiters.values()) waiting.settle(false);
    this.waiters.clear();
    return this.pending;
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.writing) return;
    if (this.timer && delayMs > 0) return;
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.writeNext();
    }, delayMs);
  }

  private afterWrite(): void {
    if (this.pending.size === 0 || this.closed) return;
    if (this.failures > 0) {
      this.schedule(Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (this.failures - 1)));
    } else {
      // What arrived during the write has waited that long already: the interval counts from its arrival.
      const waited = this.firstPendingAt === null ? 0 : Date.now() - this.firstPendingAt;
      this.schedule(this.pending.size >= this.options.maxEntries ? 0 : Math.max(0, this.options.intervalMs - waited));
    }
  }

  /** Writes up to maxEntries keys after any write in progress; true on success. Never rejects. */
  private writeNext(): Promise<boolean> {
    const result = this.queue.then(() => this.writeOnce());
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async writeOnce(): Promise<boolean> {
    if (this.pending.size === 0) return true;
    const batchSince = this.firstPendingAt;
    const batch = this.take(this.options.maxEntries);
    const waiting = this.takeWaiters(batch);
    this.writing = true;
    this.inFlight = batch.size;
    try {
      await this.options.write(batch);
      this.failures = 0;
      for (const taken of waiting.values()) taken.settle(true);
      return true;
    } catch (error) {
      this.failures++;
      this.putBack(batch, waiting);
      this.firstPendingAt = batchSince ?? Date.now();
      try {
        this.options.onWriteError(error, this.failures, batch.size);
      } catch {
        // A failing logger must not stop the batcher.
      }
      return false;
    } finally {
      this.writing = false;
      this.inFlight = 0;
      this.afterWrite();
    }
  }

  private take(count: number): Map<K, V> {
    if (this.pending.size <= count) {
      const all = this.pending;
      this.pending = new Map();
      this.firstPendingAt = null;
      return all;
    }
    const batch = new Map<K, V>();
    for (const [key, value] of this.pending) {
      if (batch.size >= count) break;
      batch.set(key, value);
    }
    for (const key of batch.keys()) this.pending.delete(key);
    return batch;
  }

  private takeWaiters(batch: Map<K, V>): Map<K, Ticket> {
    const taken = new Map<K, Ticket>();
    for (const key of batch.keys()) {
      const waiting = this.waiters.get(key);
      if (!waiting) continue;
      taken.set(key, waiting);
      this.waiters.delete(key);
    }
    return taken;
  }

  // What arrived during the failed write is newer than the batch, so it merges on top.
  private putBack(batch: Map<K, V>, waiting: Map<K, Ticket>): void {
    const newer = this.pending;
    this.pending = batch;
    for (const [key, value] of newer) {
      const older = this.pending.get(key);
      this.pending.set(key, older === undefined ? value : this.options.merge(older, value));
    }
    for (const [key, older] of waiting) {
      const newer = this.waiters.get(key);
      this.waiters.set(key, newer ? joined(older, newer) : older);
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
