import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { call, seedAccounts, tokenOf, type TestAccounts } from '../../test/accounts';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';

interface OpenStream {
  response: IncomingMessage;
  ended: Promise<void>;
  body: () => string;
}

describe('GET /api/stream ends when its login no longer holds (real database)', () => {
  let api: TestApi;
  let accounts: TestAccounts;

  beforeAll(async () => {
    api = await startTestApi({ AUTH_MODE: 'jwt', JWT_SECRET: randomBytes(24).toString('hex') });
    accounts = await seedAccounts(api.app);
  });

  afterAll(async () => {
    await api?.close();
  });

  async function openStream(token: string): Promise<OpenStream> {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(`${api.baseUrl}/api/stream?access_token=${encodeURIComponent(token)}`, { headers: { accept: 'text/event-stream' } }, resolve);
      req.on('error', reject);
      req.end();
    });
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (body += chunk));
    const ended = new Promise<void>((resolve) => {
      response.on('end', () => resolve());
      response.on('close', () => resolve());
    });
    expect(response.statusCode).toBe(200);
    await eventually(async () => expect(body).toContain(': connected'));
    return { response, ended, body: () => body };
  }

  async function expectEnds(stream: OpenStream): Promise<void> {
    const outcome = await Promise.race([stream.ended.then(() => 'ended'), new Promise((resolve) => setTimeout(() => resolve('still open'), 20_000))]);
    stream.response.destroy();
    expect(outcome).toBe('ended');
  }

  it('ends the stream when its token is logged out', async () => {
    const token = await tokenOf(api.baseUrl, accounts.user2);
    const stream = await openStream(token);
    expect((await call(api.baseUrl, 'POST', '/api/auth/logout', token)).status).toBe(204);
    await expectEnds(stream);
  });

  it('ends the stream when its user is disabled, or changes role', async () => {
    const superToken = await tokenOf(api.baseUrl, accounts.super);
    const disabled = await openStream(await tokenOf(api.baseUrl, accounts.user3));
    const promoted = await openStream(await tokenOf(api.baseUrl, accounts.admin3));
    expect((await call(api.baseUrl, 'PATCH', `/api/users/${accounts.user3.id}`, superToken, { enabled: false })).status).toBe(200);
    expect((await call(api.baseUrl, 'PATCH', `/api/users/${accounts.admin3.id}`, superToken, { role: 'user' })).status).toBe(200);
    await expectEnds(disabled);
    await expectEnds(promoted);
  });

  it('revokes the other tokens of a user who changes the password, and ends their streams; the token used stays valid', async () => {
    const used = await tokenOf(api.baseUrl, accounts.admin2);
    const other = await tokenOf(api.baseUrl, accounts.admin2);
    const stream = await openStream(other);
    const newPassword = `pw-new-${randomBytes(6).toString('hex')}`;
    const changed = await call(api.baseUrl, 'PATCH', '/api/auth/me', used, { password: newPassword, currentPassword: accounts.admin2.password });
    expect(changed.status).toBe(200);
    expect((await call(api.baseUrl, 'GET', '/api/auth/me', other)).status).toBe(401);
    expect((await call(api.baseUrl, 'GET', '/api/auth/me', used)).status).toBe(200);
    await expectEnds(stream);
    expect((await tokenOf(api.baseUrl, { email: accounts.admin2.email, password: newPassword })).length).toBeGreaterThan(0);
  });
});
