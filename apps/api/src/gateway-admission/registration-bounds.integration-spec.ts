import { getConnectionToken } from '@nestjs/mongoose';
import type { GatewayListDto } from '@upgrade-manager/dto';
import type { Connection } from 'mongoose';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import { api, connectGateway, metricValue, uniqueId } from '../../test/protocol-helpers';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { GatewayActivityService } from '../gateway-protocol/gateway-activity.service';

describe('registration bounds (real broker and database)', () => {
  let testApi: TestApi;
  let baseUrl: string;
  const clients: GatewayClient[] = [];

  beforeAll(async () => {
    testApi = await startTestApi({
      AUTH_MODE: 'none',
      HOST: '127.0.0.1',
      REGISTRATION_GATEWAYS_PER_COMPANY: '2',
      REGISTRATION_COMPANIES_PER_HOUR: '2',
    });
    baseUrl = testApi.baseUrl;
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await testApi?.close();
  });

  async function statusFrom(gatewayId: string, companyId: string): Promise<void> {
    const client = await connectGateway(gatewayId, companyId);
    clients.push(client);
    await client.sendStatus({ version: '0.5' });
  }

  async function refused(reason: string): Promise<number> {
    return metricValue(baseUrl, 'um_gateway_registrations_refused_total', { reason });
  }

  it('refuses gateways beyond the per-company bound and companies beyond the hourly bound', async () => {
    const prefix = uniqueId('gw-bound');
    const [first, second, third] = [uniqueId('co-a'), uniqueId('co-b'), uniqueId('co-c')];
    // Three gateways of one company: the third is one too many.
    for (let index = 0; index < 3; index += 1) await statusFrom(`${prefix}-a${index}`, first);
    await eventually(async () => expect(await refused('company-full')).toBe(1));
    // Two more companies in the hour: the second is one too many.
    await statusFrom(`${prefix}-b0`, second);
    await eventually(async () => expect((await api(baseUrl, `/api/companies/${second}`)).status).toBe(200));
    await statusFrom(`${prefix}-c0`, third);
    await eventually(async () => expect(await refused('companies-per-hour')).toBe(1));
    expect((await api(baseUrl, `/api/companies/${third}`)).status).toBe(404);
    await testApi.app.get(GatewayActivityService).flush();

    const list = await api<GatewayListDto>(baseUrl, `/api/gateways?search=${prefix}`);
    expect(list.body.items.map((gateway) => gateway.gatewayId).sort()).toEqual([`${prefix}-a0`, `${prefix}-a1`, `${prefix}-b0`]);

    // Registrations of one batch take their slots together while there is room, and exactly the room left when not.
    const activity = testApi.app.get(GatewayActivityService);
    const [fourth, fifth] = [uniqueId('co-d'), uniqueId('co-e')];
    const before = await refused('company-full');
    const now = Math.floor(Date.now() / 1000);
    for (const suffix of ['x0', 'x1', 'x2']) activity.recordStatus(`${prefix}-${suffix}`, { companyId: second, version: '0.5', lastUpgradeAt: null }, now);
    await activity.flush();
    expect(await refused('company-full')).toBe(before + 2);
    for (const suffix of ['d0', 'e0'])
      activity.recordStatus(`${prefix}-${suffix}`, { companyId: suffix === 'd0' ? fourth : fifth, version: '0.5', lastUpgradeAt: null }, now);
    await activity.flush();
    expect(await refused('companies-per-hour')).toBe(3);
    const batched = await api<GatewayListDto>(baseUrl, `/api/gateways?search=${prefix}-`);
    expect(batched.body.items.map((gateway) => gateway.gatewayId).sort()).toEqual([`${prefix}-a0`, `${prefix}-a1`, `${prefix}-b0`, `${prefix}-x0`]);

    // A gateway already registered is never refused, however full the bounds are.
    const client = clients[0];
    await client.sendStatus({ version: '0.6' });
    await eventually(async () => expect((await api<{ version: string }>(baseUrl, `/api/gateways/${client.gatewayId}`)).body.version).toBe('0.6'));
  });

  it('gives back the slots of gateways this process did not know but that exist (first seen after a restart), and keeps their company', async () => {
    const connection = testApi.app.get<Connection>(getConnectionToken());
    const counters = connection.collection<{ _id: string; count: number }>('registration_counters');
    const companyCount = async (companyId: string) => (await counters.findOne({ _id: `company-gateways:${companyId}` }))?.count ?? 0;
    const [home, other] = [uniqueId('co-home'), uniqueId('co-other')];
    const [known, claiming] = [uniqueId('gw-known'), uniqueId('gw-claim')];
    // Registered by another process: this one has never heard of them.
    const stored = { version: '0.1', statusSentAt: new Date(0), enabled: true, admission: 'accepted', tags: [], upgrade: null };
    await connection.collection<{ _id: string; gatewayId: string; companyId: string }>('gateways').insertMany([
      { _id: known, gatewayId: known, companyId: home, ...stored },
      { _id: claiming, gatewayId: claiming, companyId: home, ...stored },
    ]);
    // Both companies exist (the hourly bound of new companies is used up by the test above).
    await connection.collection('companies').insertMany([home, other].map((companyId) => ({ companyId, name: companyId, enabled: true })));
    const claimsBefore = await metricValue(baseUrl, 'um_gateway_company_claims_total');
    const activity = testApi.app.get(GatewayActivityService);
    const now = Math.floor(Date.now() / 1000);
    activity.recordStatus(known, { companyId: home, version: '0.7', lastUpgradeAt: null }, now);
    activity.recordStatus(claiming, { companyId: other, version: '0.7', lastUpgradeAt: null }, now);
    await activity.flush();
    // Each took a slot of its claimed company as if it were new, and gave it back when its insert found it.
    expect(await companyCount(home)).toBe(0);
    expect((await api<{ version: string; companyId: string }>(baseUrl, `/api/gateways/${known}`)).body).toMatchObject({ version: '0.7', companyId: home });
    // A Status claiming another company changes nothing, whoever knew the gateway.
    expect((await api<{ version: string; companyId: string }>(baseUrl, `/api/gateways/${claiming}`)).body).toMatchObject({ version: '0.1', companyId: home });
    expect(await metricValue(baseUrl, 'um_gateway_company_claims_total')).toBe(claimsBefore + 1);
    expect(await companyCount(other)).toBe(0);
  });
});
