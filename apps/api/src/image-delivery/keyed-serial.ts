/**
 * Runs work one at a time per key (a gateway), keys independently of each other. A key is
 * forgotten as soon as its last work settles, so the map holds only keys with work in flight.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `work` after every earlier work of `key` has settled; resolves or rejects as it does. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work in flight. */
  get size(): number {
    return this.tails.size;
  }
}
