import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BuiltApi } from './built-api';

// Bounded: a few examples per operation and role keep this inside npm test.
const EXAMPLES_PER_OPERATION = 8;
const SCHEMATHESIS = 'schemathesis>=4,<5';
const CLI_ENTRY = resolve(__dirname, '../../../../dist/apps/api/apps/api/src/cli/main.js');

/** The schemathesis command, installed with pip when missing (also by .ci/run). */
function schemathesis(): string {
  if (spawnSync('st', ['--version'], { stdio: 'ignore' }).status !== 0) {
    execFileSync('python3', ['-m', 'pip', 'install', '--quiet', SCHEMATHESIS], { stdio: 'inherit' });
  }
  return 'st';
}

interface Json {
  [key: string]: unknown;
}

// Every operation of the OpenAPI document, as each role: never a 500, and another tenant's data
// stays as it was.
describe('API fuzzing with schemathesis, as each role', () => {
  const suffix = randomBytes(4).toString('hex');
  const mongoUrl = new URL(process.env['MONGO_URL'] ?? 'mongodb://127.0.0.1:27017/upgrade-manager');
  mongoUrl.pathname = `/um-fault-fuzz-${suffix}`;
  const superAccount = { email: `super-${suffix}@fuzz.test`, password: `pw-${randomBytes(9).toString('hex')}` };
  const env = {
    AUTH_MODE: 'jwt',
    JWT_SECRET: randomBytes(24).toString('hex'),
    MONGO_URL: mongoUrl.toString(),
    MQTT_CLIENT_ID: `um-fault-fuzz-${suffix}`,
    WEB_DIST_DIR: `/nonexistent-${suffix}`,
    RESOURCES_DIR: mkdtempSync(join(tmpdir(), 'um-fuzz-res-')),
    HTTP_RATE_LIMIT_PER_MINUTE: '1000000',
    LOG_LEVEL: 'error',
    ADMIN_EMAIL: superAccount.email,
    ADMIN_PASSWORD: superAccount.password,
  };
  const api = new BuiltApi(env, join(tmpdir(), `um-fault-fuzz-${suffix}.log`));

  beforeAll(async () => {
    execFileSync(process.execPath, [CLI_ENTRY, 'init', '--yes-wipe-everything'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    await api.start();
  }, 120_000);

  afterAll(async () => {
    await api.stop();
  });

  // A kept-alive socket the server closed while schemathesis ran fails once: send again.
  const fetchAgain = (url: string, init: RequestInit) => fetch(url, init).catch(() => fetch(url, init));

  async function call(method: string, path: string, token: string, body?: unknown): Promise<Json> {
    const response = await fetchAgain(`${api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as Json;
  }

  async function login(email: string, password: string): Promise<string> {
    const response = await fetchAgain(`${api.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    return ((await response.json()) as { accessToken: string }).accessToken;
  }

  /** What company 3 owns, as a super user reads it. */
  async function tenantThree(superToken: string): Promise<unknown> {
    return {
      company: await call('GET', '/api/companies/3', superToken),
      users: await call('GET', '/api/users?companyId=3', superToken),
      gateways: await call('GET', '/api/gateways?companyId=3&pageSize=1000', superToken),
    };
  }

  it('never answers 500, and never changes another tenant’s data', async () => {
    let superToken = await login(superAccount.email, superAccount.password);
    const accounts: Record<string, { email: string; password: string }> = {};
    for (const companyId of ['2', '3']) {
      await call('POST', '/api/companies', superToken, { companyId, name: `Company ${companyId}` });
      for (const role of ['admin', 'user']) {
        const account = { email: `${role}${companyId}-${suffix}@fuzz.test`, password: `pw-${randomBytes(9).toString('hex')}` };
        await call('POST', '/api/users', superToken, { ...account, name: `${role} ${companyId}`, role, companyId });
        accounts[`${role}${companyId}`] = account;
      }
    }
    const before = await tenantThree(superToken);
    const st = schemathesis();
    const totals: string[] = [];
    for (const role of ['user2', 'admin2', 'super']) {
      const token = role === 'super' ? superToken : await login(accounts[role].email, accounts[role].password);
      const result = spawnSync(
        st,
        [
          'run',
          `${api.baseUrl}/api/docs-json`,
          '--header',
          `Authorization: Bearer ${token}`,
          '--checks',
          'not_a_server_error',
          '--max-examples',
          String(EXAMPLES_PER_OPERATION),
          '--workers',
          '1',
          // Logging out would end the run's own token; the stream never ends by itself.
          '--exclude-path',
          '/api/auth/logout',
          '--exclude-path',
          '/api/stream',
          '--exclude-path',
          '/api/auth/me',
          '--seed',
          '1',
        ],
        { encoding: 'utf8', timeout: 600_000 },
      );
      const summary = result.stdout.split('\n').filter((line) => /test cases|passed|failed|errored/i.test(line));
      totals.push(`${role}: ${summary.slice(-3).join(' | ')}`);
      // 503 is the API saying a part is down or busy (health, the broker's account plugin under
      // load), not a crash: only other 5xx answers fail the run.
      const serverErrors = [...result.stdout.matchAll(/^\s*\[(5\d\d)\]/gm)].map((match) => match[1]);
      const crashes = serverErrors.filter((code) => code !== '503');
      if (result.status !== 0 && (crashes.length > 0 || serverErrors.length === 0))
        throw new Error(`schemathesis as ${role} failed:\n${result.stdout.slice(-6000)}\n${result.stderr.slice(-2000)}\nAPI log:\n${api.logTail(60)}`);
      if (role !== 'super') {
        // A tenant's fuzzing leaves company 3 as it was.
        expect(await tenantThree(superToken)).toEqual(before);
      }
      superToken = await login(superAccount.email, superAccount.password);
    }
    process.stdout.write(`\nAPI fuzzing (${EXAMPLES_PER_OPERATION} examples per operation and role):\n${totals.join('\n')}\n`);
  }, 900_000);
});
