import { streamChunks } from './shared-chunk-stream';

describe('streamChunks', () => {
  it('publishes every chunk once, in order, and paces by bytes', async () => {
    const published: number[] = [];
    const waits: number[] = [];
    const sent = await streamChunks(
      { chunkCount: 4, frame: async (index) => Buffer.alloc(1000, index), publish: async (frame) => void published.push(frame[0] ?? -1) },
      1000,
      () => false,
      async (ms) => void waits.push(ms),
    );
    expect(sent).toBe(4);
    expect(published).toEqual([0, 1, 2, 3]);
    // 1000 bytes at 1000 B/s: about a second after each chunk.
    expect(waits.length).toBe(4);
    expect(Math.max(...waits)).toBeLessThanOrEqual(4000);
  });

  it('stops when told and survives a read-ahead it no longer needs', async () => {
    let stop = false;
    const published: number[] = [];
    const sent = await streamChunks(
      {
        chunkCount: 10,
        frame: async (index) => {
          if (index === 1) throw new Error('database gone');
          return Buffer.from([index]);
        },
        publish: async (frame) => {
          published.push(frame[0] ?? -1);
          stop = true;
        },
      },
      1e9,
      () => stop,
    );
    expect(sent).toBe(1);
    expect(published).toEqual([0]);
  });
});
