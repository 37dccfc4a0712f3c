import { call, seedAccounts, tokenOf, type TestAccounts } from './accounts';
import { uniqueMajor } from './protocol-helpers';
import { startTestApi, type TestApi } from './test-api';

// Login mode (its own file: the API's configuration is read once per test process): the large body limit of POST /api/deployments goes with a valid login only (LoginCheck before the parser).
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
    expect((await call(testApi.baseUrl, 'POST', '/api/deployments', undefined, body)).status).toBe(413);
    expect((await call(testApi.baseUrl, 'POST', '/api/deployments', `${token}x`, body)).status).toBe(413);
    // A user may not deploy (403 for a small body): a large one is not parsed for them.
    expect((await call(testApi.baseUrl, 'POST', '/api/deployments', await tokenOf(testApi.baseUrl, accounts.user2), body)).status).toBe(413);
    // Within 100 KiB, the guard answers as for any route.
    expect((await call(testApi.baseUrl, 'POST', '/api/deployments', undefined, { version: '1.0', all: true })).status).toBe(401);
  });

  it('takes a name of the longest length sent with surrounding spaces (trimmed, then checked)', async () => {
    const token = await tokenOf(testApi.baseUrl, accounts.admin2);
    const name = 'n'.repeat(100);
    const response = await call(testApi.baseUrl, 'PATCH', '/api/auth/me', token, { name: ` ${name} ` });
    expect(response).toMatchObject({ status: 200, body: { name } });
  });
});
