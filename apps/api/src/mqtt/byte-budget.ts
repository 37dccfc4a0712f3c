/**
 * Caps the bytes handed to one connection at a time, first come first served. A message larger
 * than the whole budget still goes, alone. Used because a socket that cannot take a write at
 * once keeps a copy of what is left of it: a thousand publishes of one 1 MiB image, issued
 * together, cost a gigabyte; sixteen at a time cost what sixteen do.
 */
export class ByteBudget {
  private inUse = 0;
  private readonly queue: { bytes: number; grant: () => void }[] = [];

  constructor(private readonly limit: number) {}

  /** Resolves with the function that gives the bytes back. */
  acquire(bytes: number): Promise<() => void> {
    return new Promise((resolve) => {
      this.queue.push({ bytes, grant: () => resolve(this.releaser(bytes)) });
      this.drain();
    });
  }

  get bytesInUse(): number {
    return this.inUse;
  }

  /** Callers waiting for their bytes. */
  get waiting(): number {
    return this.queue.length;
  }

  private drain(): void {
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (next.bytes > 0 && this.inUse > 0 && this.inUse + next.bytes > this.limit) return;
      this.queue.shift();
      this.inUse += next.bytes;
      next.grant();
    }
  }

  private releaser(bytes: number): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse -= bytes;
      this.drain();
    };
  }
}
