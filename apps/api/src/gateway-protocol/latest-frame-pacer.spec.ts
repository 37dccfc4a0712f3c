import { LatestFramePacer, type FramePace, type SkippedFrame } from './latest-frame-pacer';

function setup(pace: Partial<FramePace> = {}) {
  jest.useFakeTimers({ now: 1_800_000_000_000 });
  const skipped: SkippedFrame[] = [];
  const handled: string[] = [];
  const pacer = new LatestFramePacer({
    ratePerS: 1,
    burst: 3,
    maxHeld: 10,
    maxHeldBytes: 1000,
    ...pace,
    onSkipped: (reason) => skipped.push(reason),
    now: () => Date.now(),
  });
  const send = (key: string, frame: string, bytes = 10) =>
    pacer.pace(key, Buffer.alloc(bytes), async () => {
      handled.push(`${key}:${frame}`);
      return true;
    });
  return { pacer, skipped, handled, send };
}

describe('LatestFramePacer', () => {
  afterEach(() => jest.useRealTimers());

  it('handles a burst at once, keeps only the latest frame over the rate and handles it when the key has a token again', async () => {
    const { pacer, skipped, handled, send } = setup();
    const outcomes = ['1', '2', '3', '4', '5', '6'].map((frame) => send('gw-1', frame));
    // Another key has its own burst.
    await send('gw-2', '1');
    expect(handled).toEqual(['gw-1:1', 'gw-1:2', 'gw-1:3', 'gw-2:1']);
    expect(skipped).toEqual(['replaced', 'replaced']);
    expect(pacer.waiting).toBe(1);
    // The replaced frames count as handled (acknowledged): the later one carries the state.
    expect(await Promise.all(outcomes.slice(3, 5))).toEqual([true, true]);

    await jest.advanceTimersByTimeAsync(1000);
    expect(handled).toEqual(['gw-1:1', 'gw-1:2', 'gw-1:3', 'gw-2:1', 'gw-1:6']);
    expect(await outcomes[5]).toBe(true);
    expect(pacer.waiting).toBe(0);

    // The rate, then waiting again.
    await jest.advanceTimersByTimeAsync(1000);
    await send('gw-1', '7');
    void send('gw-1', '8');
    expect(handled.slice(-1)).toEqual(['gw-1:7']);
    expect(pacer.waiting).toBe(1);
  });

  it('resolves a waiting frame with its handling (false: not stored, delivered again)', async () => {
    const { pacer, send } = setup({ burst: 1 });
    await send('gw-1', '1');
    const waiting = pacer.pace('gw-1', Buffer.alloc(10), async () => false);
    await jest.advanceTimersByTimeAsync(1000);
    expect(await waiting).toBe(false);
  });

  it('bounds what waits, in keys and bytes, and counts what is dropped', async () => {
    const { pacer, skipped, handled, send } = setup({ burst: 1, maxHeld: 2, maxHeldBytes: 100 });
    for (const key of ['gw-1', 'gw-2', 'gw-3', 'gw-4']) await send(key, 'first');
    void send('gw-1', 'second', 60);
    void send('gw-2', 'second', 30);
    // No third key waits, and no frame beyond the bytes left.
    expect(await send('gw-3', 'second', 1)).toBe(true);
    expect(await send('gw-2', 'third', 41)).toBe(true);
    // A later frame of a waiting key takes the room of the one it replaces.
    void send('gw-2', 'fourth', 40);
    expect(skipped).toEqual(['dropped', 'dropped', 'replaced']);
    expect(pacer.waiting).toBe(2);

    await jest.advanceTimersByTimeAsync(1000);
    expect(handled.slice(4)).toEqual(['gw-1:second', 'gw-2:fourth']);
  });

  it('keeps a waiting frame in memory of its own, not in the larger buffer it was read from', async () => {
    const { pacer, send } = setup({ burst: 1 });
    await send('gw-1', '1');
    // mqtt.js hands over a message as a view into the socket read that carried it (up to 64 KiB).
    const read = Buffer.alloc(64 * 1024, 7);
    const frame = read.subarray(1000, 1300);
    let handled: Buffer | undefined;
    const waiting = pacer.pace('gw-1', frame, async (held) => {
      handled = held;
      return true;
    });
    await jest.advanceTimersByTimeAsync(1000);
    expect(await waiting).toBe(true);
    expect(handled?.buffer.byteLength).toBe(300);
    expect(handled?.equals(frame)).toBe(true);
  });

  it('leaves waiting frames unacknowledged when closed', async () => {
    const { pacer, handled, send } = setup({ burst: 1 });
    await send('gw-1', '1');
    const waiting = send('gw-1', '2');
    pacer.close();
    expect(await waiting).toBe(false);
    expect(await send('gw-1', '3')).toBe(true);
    await jest.advanceTimersByTimeAsync(5000);
    expect(handled).toEqual(['gw-1:1']);
  });
});
