import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { call, seedAccounts, tokenOf, type TestAccounts } from './accounts';
import { uniqueMajor } from './protocol-helpers';
import { startTestApi, type TestApi } from './test-api';

// Login mode (its own file: the API's configuration is read once per test process): the large body limit of POST /api/deployments goes with a valid login only (LoginCheck before the parser); without one, the guard's 401.
describe('request bodies with logins (real HTTP server)', () => {
  let testApi: TestApi;
  let accounts: TestAccounts;

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'jwt', HOST: '127.0.0.1' });
    accounts = await seedAccounts(testApi.app);
  });

  afterAll(async () => {
    await testApi?.close();
  });

  const largest = () => Array.from({ length: 10_000 }, (_, i) => `gw-${String(i).padStart(5, '0')}-${'x'.repeat(200)}`);

  it("parses an admin's deployment to the largest list of gateway ids; the same body without a valid login is refused before parsing", async () => {
    const token = await tokenOf(testApi.baseUrl, accounts.admin2);
    const body = { version: `${uniqueMajor()}.0`, gatewayIds: largest() };
    // No such gateways: the service says so, which it can only do after reading the whole body.
    expect((await call(testApi.baseUrl, 'POST', '/api/deployments', token, body)).status).toBe(404);
    // Without a valid login, the guard's 401 as for a small body (was 413, which the web app showed as an error rather than the login page).
    const guardsAnswer = { status: 401, body: { statusCode: 401, message: 'Authentication required', error: 'Unauthorized' } };
    expect(await call(testApi.baseUrl, 'POST', '/api/deployments', undefined, { version: '1.0', all: true })).toEqual(guardsAnswer);
    expect(await call(testApi.baseUrl, 'POST', '/api/deployments', undefined, body)).toEqual(guardsAnswer);
    expect(await call(testApi.baseUrl, 'POST', '/api/deployments', `${token}x`, body)).toEqual(guardsAnswer);
    // A user may not deploy (403 for a small body): a large one is not parsed for them.
    expect((await call(testApi.baseUrl, 'POST', '/api/deployments', await tokenOf(testApi.baseUrl, accounts.user2), body)).status).toBe(413);
    // The login route keeps the general limit.
    expect(
      (
        await call(testApi.baseUrl, 'POST', '/api/auth/login', undefined, {
          email: accounts.admin2.email,
          password: accounts.admin2.password,
          padding: largest(),
        })
      ).status,
    ).toBe(413);
  });

  it("answers a large deployment with an expired login token of an admin as the guard answers a small one: 401, the web app's cue to log in again", async () => {
    const jwt = testApi.app.get(JwtService);
    // A token of the admin, signed with the app's secret, its exp a minute past.
    const expired = await jwt.signAsync({ sub: accounts.admin2.id, iat_ms: Date.now() - 120_000 }, { jwtid: randomUUID(), expiresIn: -60 });
    const small = await call(testApi.baseUrl, 'POST', '/api/deployments', expired, { version: '1.0', all: true });
    expect(small).toEqual({ status: 401, body: { statusCode: 401, message: 'Authentication required', error: 'Unauthorized' } });
    const body = { version: `${uniqueMajor()}.0`, gatewayIds: largest() };
    expect(JSON.stringify(body).length).toBeGreaterThan(2_000_000);
    expect(await call(testApi.baseUrl, 'POST', '/api/deployments', expired, body)).toEqual(small);
    // The same token within its time is parsed (no such gateways: 404): only its expiry refuses it.
    const valid = await jwt.signAsync({ sub: accounts.admin2.id, iat_ms: Date.now() }, { jwtid: randomUUID(), expiresIn: 60 });
    expect((await call(testApi.baseUrl, 'POST', '/api/deployments', valid, body)).status).toBe(404);
  });

  it('takes a name of the longest length sent with surrounding spaces (trimmed, then checked)', async () => {
    const token = await tokenOf(testApi.baseUrl, accounts.admin2);
    const name = 'n'.repeat(100);
    const response = await call(testApi.baseUrl, 'PATCH', '/api/auth/me', token, { name: ` ${name} ` });
    expect(response).toMatchObject({ status: 200, body: { name } });
  });
});
