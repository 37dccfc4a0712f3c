import { ReceiverPacer, type ReceiverReport } from './receiver-pacer';

/** What the stream needs: the chunks, a way to publish them, and the targets' latest reports. */
export interface StreamSource {
  chunkCount: number;
  chunkSize: number;
  size: number;
  /** The framed chunk `index`. */
  frame(index: number): Promise<Buffer>;
  publish(frame: Buffer): Promise<void>;
  /** The latest stored report of every target of the offer. */
  reports(): Promise<ReceiverReport[]>;
}

export interface StreamPacing {
  /** Never faster than this. */
  bytesPerS: number;
  /** How often the targets' reports are read while the stream waits for them. */
  pollMs: number;
  /** The first chunk waits until every target reported (it then listens), at most this long. */
  startWaitMs: number;
  pacer: ReceiverPacer;
}

export interface StreamOutcome {
  /** Chunks sent. */
  sent: number;
  /** Why it ended before the last chunk: stopped, or no target left to wait for. */
  ended: 'complete' | 'stopped' | 'no-listeners';
}

/**
 * Sends every chunk of an image once, in order, on the topic all targets of a rollout listen to:
 * the broker copies it to each, so the server's outgoing bytes do not grow with the fleet. It
 * starts once the targets said they listen (their first `downloading` report follows their
 * subscription), runs no further ahead of the slowest listening target than the pacer allows and
 * never faster than `bytesPerS`. Stops early once `stopped()` or when nobody is left to wait for;
 * the targets ask for the chunks it passed and they lack while it flows, and for the rest once it
 * went quiet.
 */
export async function streamChunks(source: StreamSource, pacing: StreamPacing, stopped: () => boolean, sleep = defaultSleep): Promise<StreamOutcome> {
  const read = (index: number): Promise<Buffer> | null => {
    if (index >= source.chunkCount) return null;
    const frame = source.frame(index);
    // Read ahead: when the stream stops first, nobody awaits it.
    frame.catch(() => undefined);
    return frame;
  };
  // The first read (the image's layout with it) overlaps the wait for the targets.
  let next = read(0);
  const began = Date.now();
  while (!stopped() && Date.now() - began < pacing.startWaitMs) {
    const reports = await source.reports();
    if (!reports.some((report) => report.state === 'offered')) break;
    await sleep(pacing.pollMs);
  }
  const started = Date.now();
  let sentBytes = 0;
  let limit = 0;
  let polledAt = -Infinity;
  let index = 0;
  while (next !== null) {
    if (stopped()) return { sent: index, ended: 'stopped' };
    const position = index * source.chunkSize;
    const end = Math.min(source.size, position + source.chunkSize);
    const stale = Date.now() - polledAt >= pacing.pollMs;
    if (end > limit || stale) {
      // Ahead of the slowest target: wait for its next report.
      if (!stale) await sleep(pacing.pollMs - (Date.now() - polledAt));
      polledAt = Date.now();
      const allowed = pacing.pacer.update(await source.reports(), position, polledAt);
      if (allowed === null) return { sent: index, ended: 'no-listeners' };
      limit = allowed;
      if (end > limit) continue;
    }
    const frame = await next;
    next = read(index + 1);
    await source.publish(frame);
    index++;
    sentBytes += frame.byteLength;
    const wait = started + (sentBytes / pacing.bytesPerS) * 1000 - Date.now();
    if (wait > 0) await sleep(wait);
  }
  return { sent: index, ended: 'complete' };
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
