import { uniqueMajor } from './protocol-helpers';
import { startTestApi, type TestApi } from './test-api';

// What the body parser refuses is the client's mistake (4xx with the reason), never a 500.
describe('request bodies (real HTTP server)', () => {
  let testApi: TestApi;

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1' });
  });

  afterAll(async () => {
    await testApi?.close();
  });

  const post = (body: string) => fetch(`${testApi.baseUrl}/api/deployments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('answers 400 to malformed JSON', async () => {
    const response = await post('{"version": "1.0", "gatewayIds": [');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ statusCode: 400 });
  });

  it('takes a deployment to the largest list of gateway ids (past the parser, to validation)', async () => {
    const gatewayIds = Array.from({ length: 10_000 }, (_, i) => `gw-${String(i).padStart(5, '0')}-${'x'.repeat(200)}`);
    const response = await post(JSON.stringify({ version: `${uniqueMajor()}.0`, gatewayIds }));
    // No such gateways: the service says so, which it can only do after reading the whole body.
    expect(response.status).toBe(404);
  });

  it('answers 400, with the count in metrics, to a body nested deeper than any request (was a 500: the stack ran out in class-transformer)', async () => {
    const response = await post(`{"version":"1.0","gatewayIds":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ statusCode: 400, message: [expect.stringContaining('nests deeper than')] });
    const metrics = await (await fetch(`${testApi.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/um_http_requests_refused_total\{reason="depth"\} 1/);
  });

  it('answers 400 to a body of more keys than any request has, or a list past its bound, with the usual messages', async () => {
    const keys = Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [i.toString(36), 1]));
    const manyKeys = await post(JSON.stringify({ version: '1.0', ...keys }));
    expect(manyKeys.status).toBe(400);
    expect(await manyKeys.json()).toMatchObject({ message: ['the request must have no more than 1000 properties in all its objects'] });
    const ids = Array.from({ length: 200_000 }, (_, i) => i.toString(36));
    const tooMany = await post(JSON.stringify({ version: '1.0', gatewayIds: ids }));
    expect(await tooMany.json()).toEqual({ statusCode: 400, error: 'Bad Request', message: ['gatewayIds must contain no more than 10000 elements'] });
  });

  it('answers 413 to a body over 100 KiB on any route but POST /api/deployments (the body parser runs before any guard)', async () => {
    const body = JSON.stringify({ email: 'a@example.com', password: 'x', padding: Array(60_000).fill(1) });
    for (const path of ['/api/auth/login', '/api/rollouts']) {
      const response = await fetch(`${testApi.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(response.status).toBe(413);
    }
  });

  it('answers 413 to a body over the limit', async () => {
    const response = await post(JSON.stringify({ version: '1.0', gatewayIds: ['x'.repeat(4 * 1024 * 1024)] }));
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ statusCode: 413 });
  });
});
