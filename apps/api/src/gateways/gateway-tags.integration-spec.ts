import type { BulkTagResultDto, GatewayDto, GatewayListDto, GatewayMatchCountDto } from '@upgrade-manager/dto';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import { call, seedAccounts, tokenOf, type TestAccounts } from '../../test/accounts';
import { connectGateway, uniqueId } from '../../test/protocol-helpers';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';

describe('gateway tags (real broker and database, logged-in roles)', () => {
  let testApi: TestApi;
  let accounts: TestAccounts;
  const tokens: Record<'super' | 'admin2' | 'admin3' | 'user2', string> = { super: '', admin2: '', admin3: '', user2: '' };
  const clients: GatewayClient[] = [];
  const prefix = uniqueId('gw-tag');
  const ids = { a2: `${prefix}-a2`, b2: `${prefix}-b2`, c3: `${prefix}-c3` };

  const as = (who: keyof typeof tokens, method: string, path: string, body?: unknown) => call(testApi.baseUrl, method, path, tokens[who], body);

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'jwt', HOST: '127.0.0.1' });
    accounts = await seedAccounts(testApi.app);
    for (const who of Object.keys(tokens) as (keyof typeof tokens)[]) tokens[who] = await tokenOf(testApi.baseUrl, accounts[who]);
    for (const [key, gatewayId] of Object.entries(ids)) {
      const client = await connectGateway(gatewayId, key.endsWith('3') ? '3' : '2');
      clients.push(client);
      await client.sendStatus({ version: '0.5', timestamp: Date.now() });
    }
    await eventually(async () => expect((await as('super', 'GET', `/api/gateways?search=${prefix}`)).body).toMatchObject({ total: 3 }));
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await testApi?.close();
  });

  it('sets tags by PATCH within the rules of every gateway field, and filters the list by tag', async () => {
    const patched = await as('admin2', 'PATCH', `/api/gateways/${ids.a2}`, { tags: ['zurich', 'canary'] });
    expect(patched.status).toBe(200);
    expect((patched.body as GatewayDto).tags).toEqual(['canary', 'zurich']);

    expect((await as('admin3', 'PATCH', `/api/gateways/${ids.a2}`, { tags: ['x'] })).status).toBe(404);
    expect((await as('user2', 'PATCH', `/api/gateways/${ids.a2}`, { tags: ['x'] })).status).toBe(403);
    for (const tags of [['Upper'], ['has space'], ['a'.repeat(33)], Array.from({ length: 21 }, (_, index) => `t${index}`), ['dup', 'dup'], 'canary']) {
      expect((await as('admin2', 'PATCH', `/api/gateways/${ids.a2}`, { tags })).status).toBe(400);
    }

    const listed = (await as('admin2', 'GET', `/api/gateways?tag=canary`)).body as GatewayListDto;
    expect(listed.items.map((gateway) => gateway.gatewayId)).toEqual([ids.a2]);
    expect(((await as('admin3', 'GET', `/api/gateways?tag=canary`)).body as GatewayListDto).total).toBe(0);
    expect((await as('super', 'GET', `/api/gateways?tag=Bad!`)).status).toBe(400);
  });

  it('tags in bulk by filter, counts matches per company, and keeps admins inside their company', async () => {
    const tagged = await as('super', 'POST', '/api/gateways/tags', { filter: { idPattern: `${prefix}-*` }, add: ['fleet-x'] });
    expect(tagged.status).toBe(200);
    expect(tagged.body as BulkTagResultDto).toEqual({ matched: 3, changed: 3, skipped: 0 });

    const count = (await as('super', 'POST', '/api/gateways/match', { filter: { tags: ['fleet-x'] } })).body as GatewayMatchCountDto;
    expect(count).toEqual({
      total: 3,
      companies: [
        { companyId: '2', count: 2 },
        { companyId: '3', count: 1 },
      ],
    });
    expect((await as('admin2', 'POST', '/api/gateways/match', { filter: { tags: ['fleet-x'] } })).body).toEqual({
      total: 2,
      companies: [{ companyId: '2', count: 2 }],
    });
    expect((await as('admin2', 'POST', '/api/gateways/match', { filter: { companyId: '3' } })).status).toBe(403);

    // An admin's bulk change reaches its own company only; a user cannot tag at all.
    const removed = await as('admin2', 'POST', '/api/gateways/tags', { filter: { idPattern: `${prefix}-?2` }, remove: ['fleet-x'], add: ['two'] });
    expect(removed.body).toEqual({ matched: 2, changed: 2, skipped: 0 });
    expect((await as('admin3', 'POST', '/api/gateways/tags', { filter: { companyId: '2' }, add: ['mine'] })).status).toBe(403);
    expect((await as('user2', 'POST', '/api/gateways/tags', { filter: {}, add: ['mine'] })).status).toBe(403);
    const c3 = (await as('super', 'GET', `/api/gateways/${ids.c3}`)).body as GatewayDto;
    expect(c3.tags).toEqual(['fleet-x']);
    const a2 = (await as('super', 'GET', `/api/gateways/${ids.a2}`)).body as GatewayDto;
    expect(a2.tags).toEqual(['canary', 'two', 'zurich']);

    // Patterns are globs of a bounded alphabet, never a regular expression of the caller's.
    expect((await as('super', 'POST', '/api/gateways/match', { filter: { idPattern: '(a+)+$' } })).status).toBe(400);
    expect((await as('super', 'POST', '/api/gateways/match', { filter: { idPattern: '*a*b*c*d*e' } })).status).toBe(400);
    expect(((await as('super', 'POST', '/api/gateways/match', { filter: { idPattern: `${prefix}-a?` } })).body as GatewayMatchCountDto).total).toBe(1);
    // Several `*`: written for the database's regex engine (MongoDB: lookaheads; FerretDB 1.x refuses them).
    expect(((await as('super', 'POST', '/api/gateways/match', { filter: { idPattern: `*${prefix}*-*2` } })).body as GatewayMatchCountDto).total).toBe(2);
  });
});
