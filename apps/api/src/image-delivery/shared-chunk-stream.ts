/** What the stream needs: one chunk's frame, and a way to publish it. */
export interface StreamSource {
  chunkCount: number;
  /** The framed chunk `index`. */
  frame(index: number): Promise<Buffer>;
  publish(frame: Buffer): Promise<void>;
}

/**
 * Sends every chunk of an image once, in order, never faster than `bytesPerS`: the broker then
 * copies it to every listening target, so the server's outgoing bytes do not grow with the fleet.
 * The next chunk is read while the current one is published. Stops early once `stopped()`; the
 * targets ask for what they miss either way. Resolves to the number of chunks sent.
 */
export async function streamChunks(source: StreamSource, bytesPerS: number, stopped: () => boolean, sleep = defaultSleep): Promise<number> {
  const started = Date.now();
  const read = (index: number): Promise<Buffer> | null => {
    if (index >= source.chunkCount) return null;
    const frame = source.frame(index);
    // Read ahead: when the stream stops first, nobody awaits it.
    frame.catch(() => undefined);
    return frame;
  };
  let sent = 0;
  let index = 0;
  let next = read(0);
  for (; next !== null && !stopped(); index++) {
    const frame = await next;
    next = read(index + 1);
    await source.publish(frame);
    sent += frame.byteLength;
    const wait = started + (sent / bytesPerS) * 1000 - Date.now();
    if (wait > 0) await sleep(wait);
  }
  return index;
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
