import { encodeFrame, statusPayload, toCloudTopic, ToCloudMessageType } from '@upgrade-manager/frame-codec';
import { connectAsync } from 'mqtt';
import mongoose from 'mongoose';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BuiltApi, faultRunDir, sleep } from './built-api';

// Bounded, so that npm test stays short: examples per operation and role (FAULTS_FUZZ_EXAMPLES, README).
const EXAMPLES_PER_OPERATION = Number(process.env['FAULTS_FUZZ_EXAMPLES'] ?? 8);
const CLI_ENTRY = resolve(__dirname, '../../../../dist/apps/api/apps/api/src/cli/main.js');
const SCHEMATHESIS_SCRIPT = resolve(__dirname, '../../../../tools/scripts/schemathesis.mjs');
// The coverage phase (boundary values of every parameter, not bounded by the examples) takes a
// minute or more per role: run as the tenant admin, the role that can change the most of a tenant.
const COVERAGE_ROLE = 'admin2';
const OTHER_TENANT = '3';
const OTHER_TENANT_GATEWAYS = 3;

/** The schemathesis command, installed into a venv with pip when missing (the script .ci/run also runs). */
function schemathesis(): string {
  const output = execFileSync(process.execPath, [SCHEMATHESIS_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
  return output.trim().split('\n').at(-1) ?? '';
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
    RESOURCES_DIR: mkdtempSync(join(faultRunDir(), 'resources-')),
    HTTP_RATE_LIMIT_PER_MINUTE: '1000000',
    LOG_LEVEL: 'error',
    ADMIN_EMAIL: superAccount.email,
    ADMIN_PASSWORD: superAccount.password,
  };
  const api = new BuiltApi(env, join(faultRunDir(), `fuzz-${suffix}.log`));
  let database: mongoose.Connection;

  beforeAll(async () => {
    execFileSync(process.execPath, [CLI_ENTRY, 'init', '--yes-wipe-everything'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    await api.start();
    database = await mongoose.createConnection(env.MONGO_URL).asPromise();
  }, 120_000);

  afterAll(async () => {
    await api.stop();
    await database?.dropDatabase().catch(() => undefined);
    await database?.close();
    rmSync(env.RESOURCES_DIR, { recursive: true, force: true });
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

  /** Every document of the other tenant, in every collection, read from the database itself (not through the API under test). */
  async function otherTenantData(): Promise<Record<string, unknown[]>> {
    const snapshot: Record<string, unknown[]> = {};
    for (const { name } of await database.db!.listCollections({}, { nameOnly: true }).toArray()) {
      const documents = await database.collection(name).find({ companyId: OTHER_TENANT }).sort({ _id: 1 }).toArray();
      if (documents.length > 0) snapshot[name] = documents;
    }
    return snapshot;
  }

  /** Gateways of the other tenant, registered by their Status as in the field (the broker lets a gateway publish as itself only). */
  async function registerOtherTenantGateways(): Promise<void> {
    for (let index = 0; index < OTHER_TENANT_GATEWAYS; index += 1) {
      const gatewayId = `gw-fuzz-${suffix}-${index}`;
      const gateway = await connectAsync(process.env['MQTT_URL'] ?? 'mqtt://127.0.0.1:1883', {
        clientId: gatewayId,
        username: process.env['MQTT_GATEWAY_USERNAME'] ?? 'gateway',
        password: process.env['MQTT_GATEWAY_PASSWORD'],
        clean: true,
        reconnectPeriod: 0,
      });
      try {
        const status = encodeFrame(statusPayload({ companyId: OTHER_TENANT, version: '1.0' }));
        await gateway.publishAsync(toCloudTopic(ToCloudMessageType.Status, gatewayId), status, { qos: 1 });
      } finally {
        await gateway.endAsync();
      }
    }
    const deadline = Date.now() + 30_000;
    while ((await database.collection('gateways').countDocuments({ companyId: OTHER_TENANT })) < OTHER_TENANT_GATEWAYS) {
      if (Date.now() > deadline) throw new Error(`the other tenant's ${OTHER_TENANT_GATEWAYS} gateways were not registered`);
      await sleep(200);
    }
    // Registration writes the gateway, then its activity: let the batched writes settle.
    await sleep(2_000);
  }

  it('never answers 500, and never changes another tenant’s data', async () => {
    let superToken = await login(superAccount.email, superAccount.password);
    const accounts: Record<string, { email: string; password: string }> = {};
    for (const companyId of ['2', OTHER_TENANT]) {
      await call('POST', '/api/companies', superToken, { companyId, name: `Company ${companyId}` });
      for (const role of ['admin', 'user']) {
        const account = { email: `${role}${companyId}-${suffix}@fuzz.test`, password: `pw-${randomBytes(9).toString('hex')}` };
        await call('POST', '/api/users', superToken, { ...account, name: `${role} ${companyId}`, role, companyId });
        accounts[`${role}${companyId}`] = account;
      }
    }
    await registerOtherTenantGateways();
    const before = await otherTenantData();
    expect(Object.keys(before).sort()).toEqual(expect.arrayContaining(['companies', 'gateways', 'users']));
    const st = schemathesis();
    const totals: string[] = [];
    let testCases = 0;
    for (const role of ['user2', 'admin2', 'super']) {
      const phases = role === COVERAGE_ROLE ? 'examples,coverage,fuzzing,stateful' : 'examples,fuzzing,stateful';
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
          '--phases',
          phases,
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
      const generated = Number(/(\d+) generated/.exec(result.stdout)?.[1] ?? 0);
      const tested = /Tested: (\d+)/.exec(result.stdout)?.[1] ?? '?';
      const selected = /Selected: (\d+\/\d+)/.exec(result.stdout)?.[1] ?? '?';
      testCases += generated;
      totals.push(`${role}: ${generated} test cases, ${tested} operations tested (${selected} selected), phases ${phases}`);
      // 503 is the API saying a part is down or busy (health, the broker's account plugin under
      // load), not a crash: only other 5xx answers fail the run.
      const serverErrors = [...result.stdout.matchAll(/^\s*\[(5\d\d)\]/gm)].map((match) => match[1]);
      const crashes = serverErrors.filter((code) => code !== '503');
      if (result.status !== 0 && (crashes.length > 0 || serverErrors.length === 0))
        throw new Error(`schemathesis as ${role} failed:\n${result.stdout.slice(-6000)}\n${result.stderr.slice(-2000)}\nAPI log:\n${api.logTail(60)}`);
      if (role !== 'super') {
        // A tenant's fuzzing leaves the other tenant's documents as they were, byte for byte.
        expect(await otherTenantData()).toEqual(before);
      }
      superToken = await login(superAccount.email, superAccount.password);
    }
    process.stdout.write(
      `\nAPI fuzzing (${EXAMPLES_PER_OPERATION} examples per operation and role): ${testCases} test cases, no 500, the other tenant unchanged\n${totals.join('\n')}\n`,
    );
  }, 900_000);
});
