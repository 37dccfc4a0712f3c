import type { CompanyListDto, DeploymentCreatedDto, EventListDto, GatewayListDto, UserDto, UserListDto } from '@upgrade-manager/dto';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import { randomBytes } from 'node:crypto';
import { UsersService } from '../src/users/users.service';
import { call, seedAccounts, tokenOf, type TestAccounts } from './accounts';
import { connectGateway, uniqueId, uniqueMajor } from './protocol-helpers';
import { eventually, startTestApi, type TestApi } from './test-api';

// Every REST endpoint, called as each kind of principal, answers exactly what SPEC §2 allows.

type Actor = 'anonymous' | 'user2' | 'admin3' | 'admin2' | 'super';
// Super last: some of its allowed changes would alter what the others are tested against.
const ACTORS: Actor[] = ['anonymous', 'user2', 'admin3', 'admin2', 'super'];

interface Fixture {
  accounts: TestAccounts;
  // Users of company 2 that rows change, so the logged-in accounts stay as they are.
  target2: string;
  promote2: string;
  move2: string;
  company9: string;
  // Gateways registered by a real Status through the broker, in companies 2 and 3.
  gw2: string;
  gw3: string;
  version: string;
  versionToDelete: string;
  deployment3: string;
}

interface Row {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: (fixture: Fixture) => string;
  body?: (actor: Actor, fixture: Fixture) => unknown;
  // A multipart body instead of JSON (version uploads).
  form?: (actor: Actor, fixture: Fixture) => FormData;
  // null: not called for this actor (see the row's comment).
  expected: Record<Actor, number | null>;
  // Log in again for this row (logout revokes the token it is called with).
  freshToken?: boolean;
}

const unique = () => randomBytes(4).toString('hex');
const major = uniqueMajor();

function versionForm(version: string): FormData {
  const form = new FormData();
  form.append('version', version);
  form.append('file', new Blob([Buffer.from(version)]), 'image.bin');
  return form;
}

const ROWS: Row[] = [
  // auth
  { name: 'read own profile', method: 'GET', path: () => '/api/auth/me', expected: { anonymous: 401, user2: 200, admin3: 200, admin2: 200, super: 200 } },
  {
    name: 'rename self',
    method: 'PATCH',
    path: () => '/api/auth/me',
    body: (actor) => ({ name: `Me ${actor}` }),
    expected: { anonymous: 401, user2: 200, admin3: 200, admin2: 200, super: 200 },
  },
  {
    name: 'log out',
    method: 'POST',
    path: () => '/api/auth/logout',
    freshToken: true,
    expected: { anonymous: 401, user2: 204, admin3: 204, admin2: 204, super: 204 },
  },
  // users
  // While it is the only super user (rows below create more).
  {
    name: 'disable the super user',
    method: 'DELETE',
    path: (f) => `/api/users/${f.accounts.super.id}`,
    expected: { anonymous: 401, user2: 403, admin3: 404, admin2: 404, super: 409 },
  },
  {
    name: 'demote the super user',
    method: 'PATCH',
    path: (f) => `/api/users/${f.accounts.super.id}`,
    body: () => ({ role: 'admin' }),
    expected: { anonymous: 401, user2: 403, admin3: 404, admin2: 404, super: 409 },
  },
  { name: 'list users', method: 'GET', path: () => '/api/users', expected: { anonymous: 401, user2: 403, admin3: 200, admin2: 200, super: 200 } },
  {
    name: 'read a user of company 2',
    method: 'GET',
    path: (f) => `/api/users/${f.target2}`,
    expected: { anonymous: 401, user2: 403, admin3: 404, admin2: 200, super: 200 },
  },
  {
    name: 'read the super user',
    method: 'GET',
    path: (f) => `/api/users/${f.accounts.super.id}`,
    expected: { anonymous: 401, user2: 403, admin3: 404, admin2: 404, super: 200 },
  },
  {
    name: 'read a user that does not exist',
    method: 'GET',
    path: () => '/api/users/0123456789abcdef01234567',
    expected: { anonymous: 401, user2: 403, admin3: 404, admin2: 404, super: 404 },
  },
  {
    name: 'create a user in company 2',
    method: 'POST',
    path: () => '/api/users',
    body: () => ({ email: `new-${unique()}@company2.test`, name: 'New', password: 'new-password-1', role: 'user', companyId: '2' }),
    expected: { anonymous: 401, user2: 403, admin3: 403, admin2: 201, super: 201 },
  },
  {
    name: 'create a user in the own company (company omitted)',
    method: 'POST',
    path: () => '/api/users',
    body: () => ({ email: `own-${unique()}@company.test`, name: 'Own', password: 'own-password-1', role: 'admin' }),
    expected: { anonymous: 401, user2: 403, admin3: 201, admin2: 201, super: 201 },
  },
  {
    name: 'create a super user',
    method: 'POST',
    path: () => '/api/users',
    body: () => ({ email: `super-${unique()}@company1.test`, name: 'Super', password: 'super-password-1', role: 'super' }),
    expected: { anonymous: 401, user2: 403, admin3: 403, admin2: 403, super: 201 },
  },
  {
    name: 'create a user in a company that does not exist',
    method: 'POST',
    path: () => '/api/users',
    body: () => ({ email: `ghost-${unique()}@company.test`, name: 'Ghost', password: 'ghost-password-1', role: 'user', companyId: 'no-such-company' }),
    expected: { anonymous: 401, user2: 403, admin3: 403, admin2: 403, super: 400 },
  },
  {
    name: 'rename a user of company 2',
    method: 'PATCH',
    path: (f) => `/api/users/${f.target2}`,
    body: () => ({ name: 'Target' }),
    expected: { anonymous: 401, user2: 403, admin3: 404, admin2: 200, super: 200 },
  },
  {
    name: 'make a user of company 2 admin',
    method: 'PATCH',
    path: (f) => `/api/users/${f.target2}`,
    body: () => ({ role: 'admin' }),
    expected: { anonymous: 401, user2: 403, admin3: 404, admin2: 200, super: 200 },
  },
  {
    name: 'promote a user of company 2 to super',
    method: 'PATCH',
    path: (f) => `/api/users/${f.promote2}`,
    body: () => ({ role: 'super' }),
    expected: { anonymous: 401, user2: 403, admin3: 404, admin2: 403, super: 200 },
  },
  {
    name: 'move a user of company 2 to company 3',
    method: 'PATCH',
    path: (f) => `/api/users/${f.move2}`,
    body: () => ({ companyId: '3' }),
    expected: { anonymous: 401, user2: 403, admin3: 404, admin2: 403, super: 200 },
  },
  {
    name: 'disable a user of company 2',
    method: 'DELETE',
    path: (f) => `/api/users/${f.target2}`,
    expected: { anonymous: 401, user2: 403, admin3: 404, admin2: 200, super: 200 },
  },
  {
    name: 'enable a user of company 2',
    method: 'PATCH',
    path: (f) => `/api/users/${f.target2}`,
    body: () => ({ enabled: true }),
    expected: { anonymous: 401, user2: 403, admin3: 404, admin2: 200, super: 200 },
  },
  {
    name: 'change another user through /users as a plain user',
    method: 'PATCH',
    path: (f) => `/api/users/${f.accounts.user2.id}`,
    body: () => ({ name: 'Self' }),
    expected: { anonymous: 401, user2: 403, admin3: 404, admin2: 200, super: 200 },
  },
  {
    name: 'send an unknown field',
    method: 'PATCH',
    path: (f) => `/api/users/${f.target2}`,
    body: () => ({ isAdmin: true }),
    expected: { anonymous: 401, user2: 400, admin3: 400, admin2: 400, super: 400 },
  },
  // companies
  { name: 'list companies', method: 'GET', path: () => '/api/companies', expected: { anonymous: 401, user2: 200, admin3: 200, admin2: 200, super: 200 } },
  { name: 'read company 2', method: 'GET', path: () => '/api/companies/2', expected: { anonymous: 401, user2: 200, admin3: 404, admin2: 200, super: 200 } },
  { name: 'read company 3', method: 'GET', path: () => '/api/companies/3', expected: { anonymous: 401, user2: 404, admin3: 200, admin2: 404, super: 200 } },
  {
    name: 'create a company',
    method: 'POST',
    path: () => '/api/companies',
    body: () => ({ companyId: `c-${unique()}`, name: 'Created' }),
    expected: { anonymous: 401, user2: 403, admin3: 403, admin2: 403, super: 201 },
  },
  {
    name: 'create company 2 again',
    method: 'POST',
    path: () => '/api/companies',
    body: () => ({ companyId: '2', name: 'Again' }),
    expected: { anonymous: 401, user2: 403, admin3: 403, admin2: 403, super: 409 },
  },
  {
    name: 'rename company 2',
    method: 'PATCH',
    path: () => '/api/companies/2',
    body: () => ({ name: 'Company Two' }),
    expected: { anonymous: 401, user2: 403, admin3: 403, admin2: 403, super: 200 },
  },
  {
    name: 'disable a company',
    method: 'DELETE',
    path: (f) => `/api/companies/${f.company9}`,
    expected: { anonymous: 401, user2: 403, admin3: 403, admin2: 403, super: 200 },
  },
  {
    name: 'disable the super company',
    method: 'DELETE',
    path: () => '/api/companies/1',
    expected: { anonymous: 401, user2: 403, admin3: 403, admin2: 403, super: 409 },
  },
  {
    name: 'rename a company that does not exist',
    method: 'PATCH',
    path: () => '/api/companies/no-such',
    body: () => ({ name: 'X' }),
    expected: { anonymous: 401, user2: 403, admin3: 403, admin2: 403, super: 404 },
  },
  // events
  { name: 'read the event log', method: 'GET', path: () => '/api/events', expected: { anonymous: 401, user2: 200, admin3: 200, admin2: 200, super: 200 } },
  {
    name: 'read the event log with filters',
    method: 'GET',
    path: () => '/api/events?type=user.created&limit=5&offset=0&from=2020-01-01T00:00:00Z',
    expected: { anonymous: 401, user2: 200, admin3: 200, admin2: 200, super: 200 },
  },
  {
    name: 'read the event log with a bad filter',
    method: 'GET',
    path: () => '/api/events?type=nonsense&limit=0',
    expected: { anonymous: 401, user2: 400, admin3: 400, admin2: 400, super: 400 },
  },
  // gateways
  { name: 'list gateways', method: 'GET', path: () => '/api/gateways', expected: { anonymous: 401, user2: 200, admin3: 200, admin2: 200, super: 200 } },
  {
    name: 'read the dashboard summary',
    method: 'GET',
    path: () => '/api/gateways/summary',
    expected: { anonymous: 401, user2: 200, admin3: 200, admin2: 200, super: 200 },
  },
  {
    name: 'read a gateway of company 2',
    method: 'GET',
    path: (f) => `/api/gateways/${f.gw2}`,
    expected: { anonymous: 401, user2: 200, admin3: 404, admin2: 200, super: 200 },
  },
  {
    name: 'read a gateway of company 3',
    method: 'GET',
    path: (f) => `/api/gateways/${f.gw3}`,
    expected: { anonymous: 401, user2: 404, admin3: 200, admin2: 404, super: 200 },
  },
  {
    name: 'read a gateway that does not exist',
    method: 'GET',
    path: () => '/api/gateways/no-such-gateway',
    expected: { anonymous: 401, user2: 404, admin3: 404, admin2: 404, super: 404 },
  },
  {
    name: 'read the history of a gateway of company 2',
    method: 'GET',
    path: (f) => `/api/gateways/${f.gw2}/history`,
    expected: { anonymous: 401, user2: 200, admin3: 404, admin2: 200, super: 200 },
  },
  {
    name: 'edit a gateway of company 2',
    method: 'PATCH',
    path: (f) => `/api/gateways/${f.gw2}`,
    body: (actor) => ({ name: `Edited by ${actor}` }),
    expected: { anonymous: 401, user2: 403, admin3: 404, admin2: 200, super: 200 },
  },
  {
    name: 'edit a gateway of company 3',
    method: 'PATCH',
    path: (f) => `/api/gateways/${f.gw3}`,
    body: () => ({ latitude: 45.5 }),
    expected: { anonymous: 401, user2: 404, admin3: 200, admin2: 404, super: 200 },
  },
  {
    name: 'read the broker account state of a gateway of company 2',
    method: 'GET',
    path: (f) => `/api/gateways/${f.gw2}/credentials`,
    expected: { anonymous: 401, user2: 403, admin3: 404, admin2: 200, super: 200 },
  },
  // versions
  { name: 'list versions', method: 'GET', path: () => '/api/versions', expected: { anonymous: 401, user2: 200, admin3: 200, admin2: 200, super: 200 } },
  {
    name: 'read a version',
    method: 'GET',
    path: (f) => `/api/versions/${f.version}`,
    expected: { anonymous: 401, user2: 200, admin3: 200, admin2: 200, super: 200 },
  },
  {
    name: 'download an image',
    method: 'GET',
    path: (f) => `/api/versions/${f.version}/content`,
    expected: { anonymous: 401, user2: 403, admin3: 200, admin2: 200, super: 200 },
  },
  {
    name: 'upload a version',
    method: 'POST',
    path: () => '/api/versions',
    form: () => versionForm(`${major}.${Number.parseInt(unique(), 16)}`),
    expected: { anonymous: 401, user2: 403, admin3: 403, admin2: 403, super: 201 },
  },
  {
    name: 'delete a version',
    method: 'DELETE',
    path: (f) => `/api/versions/${f.versionToDelete}`,
    expected: { anonymous: 401, user2: 403, admin3: 403, admin2: 403, super: 204 },
  },
  // deployments
  {
    name: 'deploy to a gateway of company 2',
    method: 'POST',
    path: () => '/api/deployments',
    body: (_actor, f) => ({ version: f.version, gatewayIds: [f.gw2] }),
    expected: { anonymous: 401, user2: 403, admin3: 404, admin2: 201, super: 201 },
  },
  {
    name: 'deploy to gateways of companies 2 and 3 at once',
    method: 'POST',
    path: () => '/api/deployments',
    body: (_actor, f) => ({ version: f.version, gatewayIds: [f.gw2, f.gw3] }),
    expected: { anonymous: 401, user2: 403, admin3: 404, admin2: 404, super: 201 },
  },
  {
    name: 'deploy to company 3',
    method: 'POST',
    path: () => '/api/deployments',
    body: (_actor, f) => ({ version: f.version, companyId: '3' }),
    expected: { anonymous: 401, user2: 403, admin3: 201, admin2: 403, super: 201 },
  },
  // Not called as super: it would send an Upgrade to every gateway on the broker the tests share.
  {
    name: 'deploy to every gateway',
    method: 'POST',
    path: () => '/api/deployments',
    body: (_actor, f) => ({ version: f.version, all: true }),
    expected: { anonymous: 401, user2: 403, admin3: 403, admin2: 403, super: null },
  },
  { name: 'list deployments', method: 'GET', path: () => '/api/deployments', expected: { anonymous: 401, user2: 200, admin3: 200, admin2: 200, super: 200 } },
  {
    name: 'read a deployment to company 3',
    method: 'GET',
    path: (f) => `/api/deployments/${f.deployment3}`,
    expected: { anonymous: 401, user2: 404, admin3: 200, admin2: 404, super: 200 },
  },
];

describe('rights of every REST endpoint (SPEC §2)', () => {
  let api: TestApi;
  let fixture: Fixture;
  const tokens = new Map<Actor, string>();
  const gateways: GatewayClient[] = [];

  async function registeredGateway(companyId: string, superToken: string): Promise<string> {
    const client = await connectGateway(uniqueId('gw-rights'), companyId);
    gateways.push(client);
    await client.sendStatus({ version: '0.5', timestamp: Date.now() });
    await eventually(async () => expect((await call(api.baseUrl, 'GET', `/api/gateways/${client.gatewayId}`, superToken)).status).toBe(200));
    return client.gatewayId;
  }

  async function upload(version: string, superToken: string): Promise<void> {
    const response = await fetch(`${api.baseUrl}/api/versions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${superToken}` },
      body: versionForm(version),
    });
    if (response.status !== 201) throw new Error(`upload of ${version}: ${response.status} ${await response.text()}`);
  }

  async function tokenFor(actor: Actor): Promise<string | undefined> {
    if (actor === 'anonymous') return undefined;
    const account = fixture.accounts[actor];
    return tokenOf(api.baseUrl, account);
  }

  beforeAll(async () => {
    api = await startTestApi({ AUTH_MODE: 'jwt', JWT_SECRET: randomBytes(24).toString('hex') });
    const accounts = await seedAccounts(api.app);
    const users = api.app.get(UsersService);
    const extra = async (label: string) =>
      (await users.insert({ email: `${label}-${unique()}@company2.test`, name: label, password: 'extra-password-1', role: 'user', companyId: '2' }, null))
        .id as string;
    const superToken = await tokenOf(api.baseUrl, accounts.super);
    const company9 = `c9-${unique()}`;
    await call(api.baseUrl, 'POST', '/api/companies', superToken, { companyId: company9, name: 'To disable' });
    const [gw2, gw3] = [await registeredGateway('2', superToken), await registeredGateway('3', superToken)];
    const version = `${major}.1`;
    const versionToDelete = `${major}.0`;
    await upload(version, superToken);
    await upload(versionToDelete, superToken);
    const deployment3 = await call(api.baseUrl, 'POST', '/api/deployments', superToken, { version, gatewayIds: [gw3] });
    if (deployment3.status !== 201) throw new Error(`deployment to ${gw3}: ${deployment3.status} ${JSON.stringify(deployment3.body)}`);
    fixture = {
      accounts,
      target2: await extra('target2'),
      promote2: await extra('promote2'),
      move2: await extra('move2'),
      company9,
      gw2,
      gw3,
      version,
      versionToDelete,
      deployment3: (deployment3.body as DeploymentCreatedDto).id,
    };
    for (const actor of ACTORS) {
      const token = await tokenFor(actor);
      if (token) tokens.set(actor, token);
    }
  });

  afterAll(async () => {
    await Promise.all(gateways.map((client) => client.close()));
    await api?.close();
  });

  it.each(ROWS.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const answers: Record<string, number | null> = {};
    for (const actor of ACTORS) {
      if (row.expected[actor] === null) {
        answers[actor] = null;
        continue;
      }
      const token = row.freshToken ? await tokenFor(actor) : tokens.get(actor);
      if (row.form) {
        const response = await fetch(`${api.baseUrl}${row.path(fixture)}`, {
          method: row.method,
          headers: token ? { authorization: `Bearer ${token}` } : {},
          body: row.form(actor, fixture),
        });
        await response.arrayBuffer();
        answers[actor] = response.status;
        continue;
      }
      const response = await call(api.baseUrl, row.method, row.path(fixture), token, row.body?.(actor, fixture));
      answers[actor] = response.status;
    }
    expect(answers).toEqual(row.expected);
  });

  it('lists only the users of the own company for an admin', async () => {
    const admin2 = (await call(api.baseUrl, 'GET', '/api/users', tokens.get('admin2'))).body as UserListDto;
    expect(admin2.items.length).toBeGreaterThan(2);
    expect(new Set(admin2.items.map((user) => user.companyId))).toEqual(new Set(['2']));
    const asked3 = (await call(api.baseUrl, 'GET', '/api/users?companyId=3', tokens.get('admin2'))).body as UserListDto;
    expect(asked3.items).toEqual([]);
    const all = (await call(api.baseUrl, 'GET', '/api/users', tokens.get('super'))).body as UserListDto;
    expect(new Set(all.items.map((user) => user.companyId))).toEqual(new Set(['1', '2', '3']));
    expect(all.items.every((user) => !('passwordHash' in user))).toBe(true);
  });

  it('lists only the own company for admins and users', async () => {
    for (const [actor, companyId] of [
      ['user2', '2'],
      ['admin3', '3'],
    ] as const) {
      const list = (await call(api.baseUrl, 'GET', '/api/companies', tokens.get(actor))).body as CompanyListDto;
      expect(list.items.map((company) => company.companyId)).toEqual([companyId]);
    }
    const all = (await call(api.baseUrl, 'GET', '/api/companies', tokens.get('super'))).body as CompanyListDto;
    expect(all.items.map((company) => company.companyId)).toEqual(expect.arrayContaining(['1', '2', '3', fixture.company9]));
  });

  it('shows each company only its own events, newest first, and records who did what', async () => {
    const admin2 = (await call(api.baseUrl, 'GET', '/api/events?limit=500', tokens.get('admin2'))).body as EventListDto;
    expect(admin2.total).toBeGreaterThan(0);
    expect(new Set(admin2.items.map((event) => event.companyId))).toEqual(new Set(['2']));
    const times = admin2.items.map((event) => event.at);
    expect([...times].sort().reverse()).toEqual(times);
    const asked3 = (await call(api.baseUrl, 'GET', '/api/events?companyId=3', tokens.get('user2'))).body as EventListDto;
    expect(asked3).toEqual({ items: [], total: 0 });

    const all = (await call(api.baseUrl, 'GET', `/api/events?userId=${fixture.accounts.admin2.id}&type=user.created`, tokens.get('super')))
      .body as EventListDto;
    expect(all.total).toBeGreaterThanOrEqual(2);
    expect(all.items.every((event) => event.actor?.userId === fixture.accounts.admin2.id && event.type === 'user.created')).toBe(true);
    const page = (await call(api.baseUrl, 'GET', '/api/events?limit=2&offset=1', tokens.get('super'))).body as EventListDto;
    expect(page.items).toHaveLength(2);
    const types = new Set(
      ((await call(api.baseUrl, 'GET', '/api/events?limit=500', tokens.get('super'))).body as EventListDto).items.map((event) => event.type),
    );
    expect([...types]).toEqual(expect.arrayContaining(['user.created', 'user.updated', 'user.logged-in', 'user.logged-out']));
  });

  it('lists and counts only the gateways of the own company for admins and users', async () => {
    for (const [actor, companyId, own, other] of [
      ['admin2', '2', fixture.gw2, fixture.gw3],
      ['user2', '2', fixture.gw2, fixture.gw3],
      ['admin3', '3', fixture.gw3, fixture.gw2],
    ] as const) {
      const list = (await call(api.baseUrl, 'GET', '/api/gateways?limit=500', tokens.get(actor))).body as GatewayListDto;
      const ids = list.items.map((gateway) => gateway.gatewayId);
      expect(ids).toContain(own);
      expect(ids).not.toContain(other);
      expect(new Set(list.items.map((gateway) => gateway.companyId))).toEqual(new Set([companyId]));
      const otherCompany = companyId === '2' ? '3' : '2';
      const asked = (await call(api.baseUrl, 'GET', `/api/gateways?companyId=${otherCompany}`, tokens.get(actor))).body as GatewayListDto;
      expect(asked.total).toBe(0);
    }
    const all = (await call(api.baseUrl, 'GET', '/api/gateways?limit=500', tokens.get('super'))).body as GatewayListDto;
    expect(all.items.map((gateway) => gateway.gatewayId)).toEqual(expect.arrayContaining([fixture.gw2, fixture.gw3]));
  });

  it('applied the allowed changes', async () => {
    const read = async (id: string) => (await call(api.baseUrl, 'GET', `/api/users/${id}`, tokens.get('super'))).body as UserDto;
    expect(await read(fixture.promote2)).toMatchObject({ role: 'super', companyId: '1' });
    expect(await read(fixture.move2)).toMatchObject({ role: 'user', companyId: '3' });
    expect(await read(fixture.target2)).toMatchObject({ role: 'admin', companyId: '2', enabled: true, name: 'Target' });
  });
});
