/** An image framed for sending, and its content as a view into the same memory (no copy). */
export interface FramedImage {
  frame: Buffer;
  content: Buffer;
}

interface Entry {
  loading: Promise<FramedImage | null>;
  bytes: number;
}

/**
 * Framed images by version key, least recently used first out, at most `maxBytes` in all. Loads
 * of one key share one promise, so a hundred requests for an image read it once. An image larger
 * than the whole cache is served to the callers that waited for it and not kept. Without the
 * bound, gateways alternating requests for two large versions made the server read and frame a
 * whole image per request.
 */
export class ImageFrameCache {
  private readonly entries = new Map<string, Entry>();
  private bytesHeld = 0;

  constructor(private readonly maxBytes: number) {}

  get bytes(): number {
    return this.bytesHeld;
  }

  get(key: string, load: () => Promise<FramedImage | null>): Promise<FramedImage | null> {
    const cached = this.entries.get(key);
    if (cached) {
      // Most recently used last: Map keeps insertion order.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached.loading;
    }
    const entry: Entry = { loading: load(), bytes: 0 };
    this.entries.set(key, entry);
    entry.loading.then(
      (image) => this.settle(key, entry, image),
      () => this.forget(key, entry),
    );
    return entry.loading;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry) this.forget(key, entry);
  }

  private settle(key: string, entry: Entry, image: FramedImage | null): void {
    if (this.entries.get(key) !== entry) return;
    if (image === null || image.frame.byteLength > this.maxBytes) {
      this.forget(key, entry);
      return;
    }
    entry.bytes = image.frame.byteLength;
    this.bytesHeld += entry.bytes;
    for (const [oldestKey, oldest] of this.entries) {
      if (this.bytesHeld <= this.maxBytes) break;
      if (oldest !== entry) this.forget(oldestKey, oldest);
    }
  }

  private forget(key: string, entry: Entry): void {
    if (this.entries.get(key) !== entry) return;
    this.entries.delete(key);
    this.bytesHeld -= entry.bytes;
  }
}
