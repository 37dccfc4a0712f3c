/**
 * Publishes in flight per frame Buffer. A frame shared by many publishes (one image to a thousand
 * gateway topics) costs its bytes once, however many publishes of it are on their way: the
 * socket and the outgoing store hold references to the same Buffer, not copies.
 */
export class FramesInFlight {
  private readonly publishes = new Map<Buffer, number>();

  /** The bytes one more publish of `frame` adds (its length for the first, 0 while others are in flight), and the call that ends it. */
  enter(frame: Buffer): { bytes: number; leave: () => void } {
    const count = this.publishes.get(frame) ?? 0;
    this.publishes.set(frame, count + 1);
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      const remaining = (this.publishes.get(frame) ?? 1) - 1;
      if (remaining === 0) this.publishes.delete(frame);
      else this.publishes.set(frame, remaining);
    };
    return { bytes: count === 0 ? frame.length : 0, leave };
  }

  /** Distinct frames in flight. */
  get size(): number {
    return this.publishes.size;
  }
}
