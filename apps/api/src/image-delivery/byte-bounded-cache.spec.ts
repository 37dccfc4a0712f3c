import { ByteBoundedCache } from './byte-bounded-cache';

describe('ByteBoundedCache', () => {
  it('evicts the least recently used entries beyond its byte budget', () => {
    const cache = new ByteBoundedCache<string>(10);
    cache.set('a', Buffer.alloc(4));
    cache.set('b', Buffer.alloc(4));
    cache.get('a');
    cache.set('c', Buffer.alloc(4));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.size).toBe(8);
  });

  it('does not keep a value larger than the budget', () => {
    const cache = new ByteBoundedCache<string>(3);
    cache.set('big', Buffer.alloc(4));
    expect(cache.get('big')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('loads a key once for concurrent callers, and again after a failure', async () => {
    const cache = new ByteBoundedCache<string>(100);
    let loads = 0;
    const load = async () => {
      loads++;
      return Buffer.from('x');
    };
    await Promise.all([cache.getOrLoad('k', load), cache.getOrLoad('k', load)]);
    expect(loads).toBe(1);
    await expect(cache.getOrLoad('f', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await cache.getOrLoad('f', load)).toEqual(Buffer.from('x'));
  });
});
