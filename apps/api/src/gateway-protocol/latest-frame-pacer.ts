import { TokenBuckets } from '../image-delivery/token-buckets';

export interface FramePace {
  /** Frames one key may have handled per second once its burst is spent. */
  ratePerS: number;
  burst: number;
  /** Keys whose latest frame may wait at once, and their frames' bytes together. */
  maxHeld: number;
  maxHeldBytes: number;
}

/** Why a frame was not handled: `replaced` by a later frame of its key (which carries its state), or `dropped` because the hold was full. */
export type SkippedFrame = 'replaced' | 'dropped';

export interface LatestFramePacerOptions extends FramePace {
  onSkipped(reason: SkippedFrame): void;
  /** When the frame says it was sent; none: the order frames come in. */
  sentAt?(frame: Buffer): number;
  now?: () => number;
}

interface HeldFrame {
  frame: Buffer;
  handle(frame: Buffer): Promise<boolean>;
  settle(stored: boolean): void;
}

/**
 * Lets each key's frames through at a bounded rate before anything reads them (a token bucket per
 * key, bounded in keys). Over the rate, only the key's latest frame waits, unread, and is handled
 * once the key has a token again (the one sent last, see `sentAt`); the frame it replaces counts as handled (the broker may forget
 * it: its key's state is the later frame's), and the waiting one resolves only when handled, so a
 * process that dies meanwhile leaves it unacknowledged for the broker to deliver again. Frames
 * wait within `maxHeld` and `maxHeldBytes` (they also take room in the broker's in-flight window
 * of this process); beyond, a frame is dropped and counted.
 * Per process, like RequestRateLimiter: with several API processes each gets its share of a
 * gateway's frames, still a bound; what it protects (this process's event loop) is per process.
 */
export class LatestFramePacer {
  private readonly buckets: TokenBuckets;
  private readonly held = new Map<string, HeldFrame>();
  private heldBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: LatestFramePacerOptions) {
    this.buckets = new TokenBuckets(options.ratePerS, options.burst, undefined, options.now);
  }

  /** Frames waiting for their key's next token. */
  get waiting(): number {
    return this.held.size;
  }

  /** Resolves with `handle`'s outcome once the frame was handled, or true when it was replaced or dropped (counted). */
  pace(key: string, frame: Buffer, handle: (frame: Buffer) => Promise<boolean>): Promise<boolean> {
    const earlier = this.held.get(key);
    // A key with a frame waiting keeps waiting, so that its frames are handled in the order they came.
    if (earlier === undefined && this.buckets.take(key)) return handle(frame);
    // Sent before the waiting one (e.g. taken from a dead process's session): the waiting one is the later state.
    if (earlier !== undefined && this.sentAt(frame) < this.sentAt(earlier.frame)) {
      this.options.onSkipped('replaced');
      return Promise.resolve(true);
    }
    const bytes = frame.byteLength;
    const roomFor = this.options.maxHeldBytes - this.heldBytes + (earlier?.frame.byteLength ?? 0);
    if (this.closed || bytes > roomFor || (earlier === undefined && this.held.size >= this.options.maxHeld)) {
      this.options.onSkipped('dropped');
      return Promise.resolve(true);
    }
    if (earlier !== undefined) {
      this.release(key, earlier);
      earlier.settle(true);
      this.options.onSkipped('replaced');
    }
    return new Promise<boolean>((settle) => {
      this.held.set(key, { frame: ownBytes(frame), handle, settle });
      this.heldBytes += bytes;
      this.scheduleDrain();
    });
  }

  /** Stops handling waiting frames; they resolve false (unacknowledged: the broker delivers them again). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const [key, frame] of this.held) {
      this.release(key, frame);
      frame.settle(false);
    }
  }

  private sentAt(frame: Buffer): number {
    return this.options.sentAt?.(frame) ?? 0;
  }

  private release(key: string, frame: HeldFrame): void {
    this.held.delete(key);
    this.heldBytes -= frame.frame.byteLength;
  }

  // One timer for all waiting frames, at the pace a token comes back.
  private scheduleDrain(): void {
    if (this.timer || this.closed || this.held.size === 0) return;
    this.timer = setTimeout(() => this.drain(), 1000 / this.options.ratePerS);
    this.timer.unref();
  }

  private drain(): void {
    this.timer = null;
    for (const [key, frame] of this.held) {
      if (!this.buckets.take(key)) continue;
      this.release(key, frame);
      frame.handle(frame.frame).then(frame.settle, () => frame.settle(true));
    }
    this.scheduleDrain();
  }
}

// mqtt.js hands over a message as a view into the socket read that carried it (up to 64 KiB): a
// small frame waiting would keep that whole read, past what `maxHeldBytes` counts.
function ownBytes(frame: Buffer): Buffer {
  if (frame.byteLength === frame.buffer.byteLength) return frame;
  const copy = Buffer.allocUnsafeSlow(frame.byteLength);
  frame.copy(copy);
  return copy;
}
