/** What the stream needs: one chunk's frame, and a way to publish it. */
export interface StreamSource {
  chunkCount: number;
  /** The framed chunk `index` and its size in bytes. */
  frame(index: number): Promise<Buffer>;
  publish(frame: Buffer): Promise<void>;
}

/**
 * Sends every chunk of an image once, in order, never faster than `bytesPerS`: the broker then
 * copies it to every listening target, so the server's outgoing bytes do not grow with the fleet.
 * Stops early on `stop()`; the targets ask for what they miss either way.
 */
export async function streamChunks(source: StreamSource, bytesPerS: number, stopped: () => boolean, sleep = defaultSleep): Promise<number> {
  const started = Date.now();
  let sent = 0;
  let index = 0;
  for (; index < source.chunkCount && !stopped(); index++) {
    const frame = await source.frame(index);
    await source.publish(frame);
    sent += frame.byteLength;
    const due = started + (sent / bytesPerS) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
  }
  return index;
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
