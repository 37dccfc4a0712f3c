import { randomBytes } from 'node:crypto';
import { seedAccounts, type TestAccounts } from '../../test/accounts';
import { startTestApi, type TestApi } from '../../test/test-api';

const ATTACKER = '203.0.113.7';
const OWNER = '198.51.100.2';

describe('login throttling behind a reverse proxy (real database)', () => {
  let api: TestApi;
  let accounts: TestAccounts;

  beforeAll(async () => {
    // The proxy on loopback says who the client is in X-Forwarded-For.
    api = await startTestApi({
      AUTH_MODE: 'jwt',
      JWT_SECRET: randomBytes(24).toString('hex'),
      TRUST_PROXY: 'loopback',
      LOGIN_MAX_FAILURES: '3',
      LOGIN_LOCKOUT_S: '600',
    });
    accounts = await seedAccounts(api.app);
  });

  afterAll(async () => {
    await api?.close();
  });

  function loginFrom(address: string, email: string, password: string): Promise<Response> {
    return fetch(`${api.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
      body: JSON.stringify({ email, password }),
    });
  }

  it('slows the attacker down ever more, and never locks the owner out from an address that logged in before', async () => {
    const { email, password } = accounts.admin2;
    expect((await loginFrom(OWNER, email, password)).status).toBe(200);

    const attackerGuess = () => loginFrom(ATTACKER, email, 'wrong-guess');
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await attackerGuess()).status).toBe(401);
    // Past three failures each further guess waits, twice as long as the one before.
    const waits: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      const held = await attackerGuess();
      expect(held.status).toBe(429);
      const { retryAfterSeconds } = (await held.json()) as { retryAfterSeconds: number };
      waits.push(retryAfterSeconds);
      // Meanwhile the owner, from the address it logged in from before, gets in at once.
      expect((await loginFrom(OWNER, email, password)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, retryAfterSeconds * 1000 + 100));
      expect((await attackerGuess()).status).toBe(401);
    }
    expect(waits[1]).toBeGreaterThan(waits[0]);
    expect(waits[2]).toBeGreaterThan(waits[1]);
    // Even the right password waits its turn from the attacker's address.
    expect((await loginFrom(ATTACKER, email, password)).status).toBe(429);
  });

  it('logs several people in at once from an address never seen before (an office behind one address)', async () => {
    const office = `192.0.2.${1 + ((randomBytes(1)[0] ?? 0) % 254)}`;
    // Not admin2, whose own wait the attacker above has raised (it holds for addresses it has not logged in from).
    const people = [accounts.super, accounts.user2, accounts.admin3, accounts.user3];
    const answers = await Promise.all(people.map(({ email, password }) => loginFrom(office, email, password)));
    const bodies = await Promise.all(answers.map(async (answer) => `${answer.status} ${answer.status === 200 ? '' : await answer.text()}`));
    expect(bodies).toEqual(people.map(() => '200 '));
  });

  it('keeps its state in the database, so that every API process sees it', async () => {
    const { email } = accounts.user3;
    for (let attempt = 0; attempt < 4; attempt += 1) await loginFrom(ATTACKER, email, 'wrong-guess');
    const { getConnectionToken } = await import('@nestjs/mongoose');
    const connection = api.app.get<import('mongoose').Connection>(getConnectionToken());
    const stored = await connection.collection<{ _id: string; failures: number }>('login_throttle').findOne({ _id: `pair:${email}|${ATTACKER}` });
    expect(stored?.failures).toBeGreaterThanOrEqual(3);
  });
});
