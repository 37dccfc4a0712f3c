import { ReceiverPacer, type ReceiverReport } from './receiver-pacer';
import { streamChunks, type StreamPacing } from './shared-chunk-stream';

const CHUNK = 1000;

function pacing(overrides: Partial<StreamPacing> = {}): StreamPacing {
  return {
    bytesPerS: 1e12,
    pollMs: 100,
    startWaitMs: 1000,
    pacer: new ReceiverPacer({ stallMs: 10_000, budgetBytes: 4 * CHUNK, minWindowBytes: 2 * CHUNK, maxWindowBytes: 4 * CHUNK }),
    ...overrides,
  };
}

/** Two targets that each take one chunk per read of their reports (a fake clock advances on sleep). */
function fleet(chunkCount: number) {
  let clock = 0;
  const published: number[] = [];
  const aheadOfSlowest: number[] = [];
  let reads = 0;
  const received = { fast: 0, slow: 0 };
  const source = {
    chunkCount,
    chunkSize: CHUNK,
    size: chunkCount * CHUNK,
    frame: async (index: number) => Buffer.alloc(CHUNK, index),
    publish: async (frame: Buffer) => {
      published.push(frame[0] ?? -1);
      aheadOfSlowest.push(published.length * CHUNK - received.slow);
    },
    reports: async (): Promise<ReceiverReport[]> => {
      reads++;
      // Before its second read nobody listens yet: the stream must not start.
      if (reads === 1)
        return [
          { gatewayId: 'fast', state: 'offered', bytes: 0 },
          { gatewayId: 'slow', state: 'offered', bytes: 0 },
        ];
      received.fast = published.length * CHUNK;
      received.slow = Math.min(published.length * CHUNK, received.slow + CHUNK);
      const state = (bytes: number) => (bytes >= chunkCount * CHUNK ? 'downloaded' : 'downloading');
      return [
        { gatewayId: 'fast', state: state(received.fast), bytes: received.fast },
        { gatewayId: 'slow', state: state(received.slow), bytes: received.slow },
      ];
    },
  };
  const sleep = async (ms: number) => void (clock += ms);
  return { source, sleep, published, aheadOfSlowest, now: () => clock };
}

describe('streamChunks', () => {
  it('waits until the targets listen, then sends every chunk once, in order, never a window ahead of the slowest', async () => {
    const { source, sleep, published, aheadOfSlowest } = fleet(12);
    const outcome = await streamChunks(source, pacing(), () => false, sleep);
    expect(outcome).toEqual({ sent: 12, ended: 'complete' });
    expect(published).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // The window for two targets: 2 chunks (budget 4 shared by 2).
    expect(Math.max(...aheadOfSlowest)).toBeLessThanOrEqual(2 * CHUNK);
  });

  it('ends early when no target is left to wait for', async () => {
    const published: number[] = [];
    const outcome = await streamChunks(
      {
        chunkCount: 10,
        chunkSize: CHUNK,
        size: 10 * CHUNK,
        frame: async (index) => Buffer.alloc(CHUNK, index),
        publish: async (frame) => void published.push(frame[0] ?? -1),
        reports: async () => [{ gatewayId: 'a', state: 'failed', bytes: 0 }],
      },
      pacing(),
      () => false,
      async () => undefined,
    );
    expect(outcome).toEqual({ sent: 0, ended: 'no-listeners' });
    expect(published).toEqual([]);
  });

  it('paces by bytes per second as well', async () => {
    const waits: number[] = [];
    await streamChunks(
      {
        chunkCount: 4,
        chunkSize: CHUNK,
        size: 4 * CHUNK,
        frame: async (index) => Buffer.alloc(CHUNK, index),
        publish: async () => undefined,
        reports: async () => [{ gatewayId: 'a', state: 'downloading', bytes: 4 * CHUNK }],
      },
      pacing({ bytesPerS: 1000 }),
      () => false,
      async (ms) => void waits.push(ms),
    );
    // 1000 bytes at 1000 B/s: about a second after each chunk.
    expect(waits.filter((ms) => ms > 500).length).toBe(4);
  });

  it('stops when told and survives a read-ahead it no longer needs', async () => {
    let stop = false;
    const published: number[] = [];
    const outcome = await streamChunks(
      {
        chunkCount: 10,
        chunkSize: CHUNK,
        size: 10 * CHUNK,
        frame: async (index) => {
          if (index === 1) throw new Error('database gone');
          return Buffer.from([index]);
        },
        publish: async (frame) => {
          published.push(frame[0] ?? -1);
          stop = true;
        },
        reports: async () => [{ gatewayId: 'a', state: 'downloading', bytes: 0 }],
      },
      pacing(),
      () => stop,
    );
    expect(outcome).toEqual({ sent: 1, ended: 'stopped' });
    expect(published).toEqual([0]);
  });
});
