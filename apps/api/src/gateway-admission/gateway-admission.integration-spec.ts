import type { EventListDto, GatewayDto, GatewayListDto } from '@upgrade-manager/dto';
import { encodeFrame, statusPayload, toCloudTopic, ToCloudMessageType, ToGatewayMessageType } from '@upgrade-manager/frame-codec';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import { api, connectGateway, metricValue, uniqueId, uniqueMajor, uploadVersion } from '../../test/protocol-helpers';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { GatewayActivityService } from '../gateway-protocol/gateway-activity.service';

describe('gateway admission (real broker and database)', () => {
  let testApi: TestApi;
  let baseUrl: string;
  const clients: GatewayClient[] = [];
  const version = `${uniqueMajor()}.1`;

  async function gateway(companyId = uniqueId('co')): Promise<GatewayClient> {
    const client = await connectGateway(uniqueId('gw-adm'), companyId);
    clients.push(client);
    return client;
  }

  async function registered(client: GatewayClient): Promise<GatewayDto> {
    await client.sendStatus({ version: '0.5' });
    return eventually(async () => {
      const response = await api<GatewayDto>(baseUrl, `/api/gateways/${client.gatewayId}`);
      expect(response.status).toBe(200);
      return response.body;
    });
  }

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1', REGISTRATION_COMPANIES_PER_HOUR: '1000' });
    baseUrl = testApi.baseUrl;
    await uploadVersion(baseUrl, version, version);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await testApi?.close();
  });

  it('keeps the company a gateway registered with: a Status claiming another changes nothing, is counted and logged', async () => {
    const home = uniqueId('co-home');
    const victim = uniqueId('co-victim');
    const client = await gateway(home);
    await registered(client);
    const before = await metricValue(baseUrl, 'um_gateway_company_claims_total');

    await client.publishRaw(toCloudTopic(ToCloudMessageType.Status, client.gatewayId), encodeFrame(statusPayload({ companyId: victim, version: '0.7' })));
    await eventually(async () => expect(await metricValue(baseUrl, 'um_gateway_company_claims_total')).toBe(before + 1));
    await testApi.app.get(GatewayActivityService).flush();

    const after = await api<GatewayDto>(baseUrl, `/api/gateways/${client.gatewayId}`);
    expect(after.body).toMatchObject({ companyId: home, version: '0.5' });
    expect((await api(baseUrl, `/api/companies/${victim}`)).status).toBe(404);
    const events = await api<EventListDto>(baseUrl, `/api/events?gatewayId=${client.gatewayId}&type=gateway.company-claimed`);
    expect(events.body.items).toHaveLength(1);
    expect(events.body.items[0]).toMatchObject({ companyId: home, details: { claimedCompanyId: victim } });
  });

  it('lets a super user move a gateway to another company; its Statuses then belong there', async () => {
    const client = await gateway();
    await registered(client);
    const target = uniqueId('co-new');
    await api(baseUrl, '/api/companies', { method: 'POST', body: { companyId: target, name: 'Target' } });

    const moved = await api<GatewayDto>(baseUrl, `/api/gateways/${client.gatewayId}`, { method: 'PATCH', body: { companyId: target } });
    expect(moved.status).toBe(200);
    expect(moved.body.companyId).toBe(target);

    await client.publishRaw(toCloudTopic(ToCloudMessageType.Status, client.gatewayId), encodeFrame(statusPayload({ companyId: target, version: '0.9' })));
    await eventually(async () => {
      const { body } = await api<GatewayDto>(baseUrl, `/api/gateways/${client.gatewayId}`);
      expect(body).toMatchObject({ companyId: target, version: '0.9' });
    });
  });

  it('refuses a move to a company that does not exist', async () => {
    const client = await gateway();
    await registered(client);
    const response = await api(baseUrl, `/api/gateways/${client.gatewayId}`, { method: 'PATCH', body: { companyId: uniqueId('co-none') } });
    expect(response.status).toBe(404);
  });

  it('serves nothing to a disabled gateway, and again once it is enabled', async () => {
    const client = await gateway();
    await registered(client);
    await api(baseUrl, `/api/gateways/${client.gatewayId}`, { method: 'PATCH', body: { enabled: false } });
    const before = await metricValue(baseUrl, 'um_gateway_requests_refused_total', { reason: 'disabled' });
    const answers: string[] = [];
    client.onLatestVersion((latest) => answers.push(latest));
    await client.requestLatestVersion();
    await eventually(async () => expect(await metricValue(baseUrl, 'um_gateway_requests_refused_total', { reason: 'disabled' })).toBe(before + 1));

    await api(baseUrl, `/api/gateways/${client.gatewayId}`, { method: 'PATCH', body: { enabled: true } });
    await eventually(
      async () => {
        const latest = client.waitFor(ToGatewayMessageType.LatestVersion, (message) => !message.broadcast, 1_000);
        await client.requestLatestVersion();
        await latest;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(answers.length).toBeGreaterThanOrEqual(1);
  });

  it('serves nothing to a gateway of a disabled company', async () => {
    const companyId = uniqueId('co-off');
    const client = await gateway(companyId);
    await registered(client);
    await api(baseUrl, `/api/companies/${companyId}`, { method: 'PATCH', body: { enabled: false } });
    const before = await metricValue(baseUrl, 'um_gateway_requests_refused_total', { reason: 'company-disabled' });
    await eventually(
      async () => {
        await client.requestAvailableVersions();
        expect(await metricValue(baseUrl, 'um_gateway_requests_refused_total', { reason: 'company-disabled' })).toBeGreaterThan(before);
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
  });

  it('lists gateways by admission state', async () => {
    const client = await gateway();
    await registered(client);
    const accepted = await api<GatewayListDto>(baseUrl, `/api/gateways?admission=accepted&search=${client.gatewayId}`);
    expect(accepted.body.items.map((item) => item.gatewayId)).toEqual([client.gatewayId]);
    expect(accepted.body.items[0].admission).toBe('accepted');
    const pending = await api<GatewayListDto>(baseUrl, `/api/gateways?admission=pending&search=${client.gatewayId}`);
    expect(pending.body.items).toHaveLength(0);
  });

  it('answers at most GATEWAY_REQUESTS_PER_MINUTE requests of one gateway a minute and counts the rest', async () => {
    const client = await gateway();
    const before = await metricValue(baseUrl, 'um_gateway_requests_refused_total', { reason: 'rate-limited' });
    // 30 a minute by default: of 61, even split over two minutes, at least one is refused.
    for (let index = 0; index < 61; index += 1) await client.requestAvailableVersions();
    await eventually(async () => expect(await metricValue(baseUrl, 'um_gateway_requests_refused_total', { reason: 'rate-limited' })).toBeGreaterThan(before));
  });

  it('counts a frame dated far from now, and still handles it', async () => {
    const companyId = uniqueId('co');
    const client = await gateway(companyId);
    const before = await metricValue(baseUrl, 'um_frames_clock_skew_total', { age: 'old' });
    const twoDaysAgo = Math.floor(Date.now() / 1000) - 2 * 86_400;
    await client.publishRaw(toCloudTopic(ToCloudMessageType.Status, client.gatewayId), encodeFrame(statusPayload({ companyId, version: '0.5' }), twoDaysAgo));
    await eventually(async () => expect(await metricValue(baseUrl, 'um_frames_clock_skew_total', { age: 'old' })).toBe(before + 1));
    await eventually(async () => expect((await api(baseUrl, `/api/gateways/${client.gatewayId}`)).status).toBe(200));
  });
});
