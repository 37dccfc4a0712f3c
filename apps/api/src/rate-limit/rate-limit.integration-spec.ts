import { startTestApi, type TestApi } from '../../test/test-api';

describe('HTTP rate limit per address (real database)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1', HTTP_RATE_LIMIT_PER_MINUTE: '5', TRUST_PROXY: 'loopback' });
  });

  afterAll(async () => {
    await api?.close();
  });

  const get = (address: string) => fetch(`${api.baseUrl}/api/versions`, { headers: { 'x-forwarded-for': address } });

  it('answers 429 with Retry-After beyond the limit, per client address', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 7; index += 1) statuses.push((await get('203.0.113.9')).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    const refused = await get('203.0.113.9');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another client is not held back by the first.
    expect((await get('198.51.100.4')).status).toBe(200);
  });
});
