import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { call, seedAccounts, tokenOf, type TestAccounts } from '../../test/accounts';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { MetricsService } from '../metrics/metrics.service';
import { MAX_STREAMS_PER_USER } from './live-stream-slots';

describe('GET /api/stream: at most MAX_STREAMS_PER_USER streams per user and process (real database)', () => {
  let api: TestApi;
  let accounts: TestAccounts;
  const opened: IncomingMessage[] = [];

  beforeAll(async () => {
    api = await startTestApi({ AUTH_MODE: 'jwt', JWT_SECRET: randomBytes(24).toString('hex') });
    accounts = await seedAccounts(api.app);
  });

  afterAll(async () => {
    for (const response of opened) response.destroy();
    await api?.close();
  });

  async function requestStream(token: string): Promise<{ response: IncomingMessage; body: () => string; ended: Promise<void> }> {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(`${api.baseUrl}/api/stream?access_token=${encodeURIComponent(token)}`, { headers: { accept: 'text/event-stream' } }, resolve);
      req.on('error', reject);
      req.end();
    });
    opened.push(response);
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (body += chunk));
    const ended = new Promise<void>((resolve) => response.on('close', () => resolve()));
    return { response, body: () => body, ended };
  }

  async function openStream(token: string): Promise<{ response: IncomingMessage; ended: Promise<void> }> {
    const stream = await requestStream(token);
    expect(stream.response.statusCode).toBe(200);
    await eventually(async () => expect(stream.body()).toContain(': connected'));
    return stream;
  }

  async function metricsText(): Promise<string> {
    return api.app.get(MetricsService).registry.metrics();
  }

  it('refuses the next stream of that user with 429 and a count, serves other users, and serves it again once one of its streams ends', async () => {
    const token = await tokenOf(api.baseUrl, accounts.user2);
    const loggedOutLater = await tokenOf(api.baseUrl, accounts.user2);
    const streams = [];
    for (let index = 0; index < MAX_STREAMS_PER_USER; index += 1) streams.push(await openStream(index === 0 ? loggedOutLater : token));

    const refused = await requestStream(token);
    expect(refused.response.statusCode).toBe(429);
    await refused.ended;
    expect(JSON.parse(refused.body())).toMatchObject({ statusCode: 429, message: `Too many live streams open for this user (${MAX_STREAMS_PER_USER})` });
    expect(await metricsText()).toContain('um_live_streams_refused_total{reason="per-user"} 1');
    await openStream(await tokenOf(api.baseUrl, accounts.admin2));

    // A stream the client closed gives its slot back.
    streams[1]?.response.destroy();
    await eventually(async () => expect((await requestStream(token)).response.statusCode).toBe(200));

    // So does one the server ended (its token logged out).
    expect((await requestStream(token)).response.statusCode).toBe(429);
    expect((await call(api.baseUrl, 'POST', '/api/auth/logout', loggedOutLater)).status).toBe(204);
    await streams[0]?.ended;
    await eventually(async () => expect((await requestStream(token)).response.statusCode).toBe(200));
  });
});
