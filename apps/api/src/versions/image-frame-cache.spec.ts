import { ImageFrameCache, type FramedImage } from './image-frame-cache';

function image(bytes: number): FramedImage {
  const frame = Buffer.alloc(bytes);
  return { frame, content: frame.subarray(12) };
}

describe('ImageFrameCache', () => {
  it('loads a key once for concurrent callers and keeps it', async () => {
    const cache = new ImageFrameCache(100);
    const load = jest.fn(async () => image(40));
    const [a, b] = await Promise.all([cache.get('1', load), cache.get('1', load)]);
    expect(a).toBe(b);
    expect(await cache.get('1', load)).toBe(a);
    expect(load).toHaveBeenCalledTimes(1);
    expect(cache.bytes).toBe(40);
  });

  it('never holds more than its bound: the least recently used image goes first', async () => {
    const cache = new ImageFrameCache(100);
    const loads: string[] = [];
    const loader = (key: string) => async () => (loads.push(key), image(40));
    await cache.get('a', loader('a'));
    await cache.get('b', loader('b'));
    await cache.get('a', loader('a'));
    await cache.get('c', loader('c'));
    expect(cache.bytes).toBe(80);
    await cache.get('a', loader('a'));
    await cache.get('b', loader('b'));
    expect(loads).toEqual(['a', 'b', 'c', 'b']);
    expect(cache.bytes).toBeLessThanOrEqual(100);
  });

  it('serves an image larger than the bound without keeping it, and forgets unknown versions and failures', async () => {
    const cache = new ImageFrameCache(100);
    expect((await cache.get('big', async () => image(150)))?.frame.byteLength).toBe(150);
    expect(cache.bytes).toBe(0);
    expect(await cache.get('none', async () => null)).toBeNull();
    await expect(cache.get('broken', async () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    const retried = jest.fn(async () => image(10));
    await cache.get('broken', retried);
    expect(retried).toHaveBeenCalledTimes(1);
  });
});
