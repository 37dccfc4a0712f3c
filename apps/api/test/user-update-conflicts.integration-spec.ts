import { call, seedAccounts, tokenOf, type TestAccounts } from './accounts';
import { startTestApi, type TestApi } from './test-api';

// Found by the API fuzzing: an admin giving a user of its company another user's email (here a
// super user's, together with a role change) got a 500 instead of a 409.
describe('updating a user onto a taken email', () => {
  let api: TestApi;
  let accounts: TestAccounts;

  beforeAll(async () => {
    api = await startTestApi();
    accounts = await seedAccounts(api.app);
  });

  afterAll(async () => {
    await api?.close();
  });

  it.each([
    ['the email alone', () => ({ email: accounts.super.email })],
    ['with a role change', () => ({ role: 'admin', email: accounts.super.email, name: 'user 2', companyId: '2' })],
  ])('answers 409 to %s, and changes nothing', async (_case, body) => {
    const token = await tokenOf(api.baseUrl, accounts.admin2);
    const answer = await call(api.baseUrl, 'PATCH', `/api/users/${accounts.user2.id}`, token, body());
    expect(answer.status).toBe(409);
    const user2 = await call(api.baseUrl, 'GET', `/api/users/${accounts.user2.id}`, token);
    expect(user2.body).toMatchObject({ email: accounts.user2.email, role: 'user' });
  });
});
