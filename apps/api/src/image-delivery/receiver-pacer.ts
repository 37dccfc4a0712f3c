import type { OfferState } from './image-offer.schema';

/** A target's latest stored report, as the shared stream sees it. */
export interface ReceiverReport {
  gatewayId: string;
  state: OfferState;
  bytes: number;
}

export interface ReceiverPacerOptions {
  /** A target whose bytes did not move for this long is no longer waited for (offline, stuck). */
  stallMs: number;
  /** Bytes the stream may be ahead of its targets, shared by all of them ... */
  budgetBytes: number;
  /** ... but at least this many per target (a large fleet still moves) and at most this many. */
  minWindowBytes: number;
  maxWindowBytes: number;
}

interface Joined {
  bytes: number;
  /** Since when it holds less than was sent without moving; null while it holds all of it. */
  behindSince: number | null;
}

/**
 * Decides how far the shared chunk stream may run: never more than a window ahead of the slowest
 * target that listens to it, as the targets' stored `downloading` reports say. Mosquitto copies a
 * QoS 0 message into every subscriber's send queue and holds it until that subscriber reads it, so
 * the bytes a target has not yet consumed are what the broker holds for it: the window bounds
 * them. A target joins when it reports `downloading` while the stream is within its window, and
 * leaves when it is done with the stream (any later state) or stalls: it held less than was sent
 * and did not move for the stall time (time the stream itself spent reading is not its stall).
 * Targets that are not waited for fetch what they miss with chunk requests.
 */
export class ReceiverPacer {
  private readonly joined = new Map<string, Joined>();
  private readonly left = new Set<string>();

  constructor(private readonly options: ReceiverPacerOptions) {}

  /** Targets the stream waits for. */
  get waitingFor(): number {
    return this.joined.size;
  }

  /** Bytes the stream may be ahead of each target, with `targets` waited for. */
  windowBytes(targets: number): number {
    const { budgetBytes, minWindowBytes, maxWindowBytes } = this.options;
    return Math.min(maxWindowBytes, Math.max(minWindowBytes, Math.floor(budgetBytes / Math.max(1, targets))));
  }

  /**
   * Takes the latest reports; returns the image offset the stream may send up to (exclusive), or
   * null when no target is waited for any more (the stream can stop: the rest is fetched by requests).
   */
  update(reports: readonly ReceiverReport[], position: number, now: number): number | null {
    const listening = new Map(reports.filter((report) => report.state === 'downloading').map((report) => [report.gatewayId, report.bytes]));
    for (const gatewayId of this.joined.keys()) if (!listening.has(gatewayId)) this.leave(gatewayId);
    const window = this.windowBytes(Math.max(this.joined.size, listening.size));
    for (const [gatewayId, bytes] of listening) {
      if (this.left.has(gatewayId)) continue;
      const known = this.joined.get(gatewayId);
      const behind = bytes < position;
      if (known === undefined) {
        if (bytes + window >= position) this.joined.set(gatewayId, { bytes, behindSince: behind ? now : null });
      } else if (!behind || bytes > known.bytes) {
        // Holding all that was sent, or moving: its stall clock starts again.
        this.joined.set(gatewayId, { bytes, behindSince: behind ? now : null });
      } else if (known.behindSince === null) {
        known.behindSince = now;
      } else if (now - known.behindSince >= this.options.stallMs) {
        this.leave(gatewayId);
      }
    }
    if (this.joined.size === 0) return null;
    let slowest = Infinity;
    for (const { bytes } of this.joined.values()) slowest = Math.min(slowest, bytes);
    return slowest + this.windowBytes(this.joined.size);
  }

  private leave(gatewayId: string): void {
    this.joined.delete(gatewayId);
    this.left.add(gatewayId);
  }
}
