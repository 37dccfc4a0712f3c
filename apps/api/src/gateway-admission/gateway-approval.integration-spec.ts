import type { GatewayDto, GatewayListDto } from '@upgrade-manager/dto';
import { ToGatewayMessageType } from '@upgrade-manager/frame-codec';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import { api, connectGateway, metricValue, uniqueId, uniqueMajor, uploadVersion } from '../../test/protocol-helpers';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';

describe('gateway registration by approval (real broker and database)', () => {
  let testApi: TestApi;
  let baseUrl: string;
  const clients: GatewayClient[] = [];
  const version = `${uniqueMajor()}.1`;

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1', GATEWAY_REGISTRATION: 'approval' });
    baseUrl = testApi.baseUrl;
    await uploadVersion(baseUrl, version, version);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await testApi?.close();
  });

  it('lists a new gateway as waiting and serves it nothing until it is accepted', async () => {
    const client = await connectGateway(uniqueId('gw-wait'), uniqueId('co'));
    clients.push(client);
    await client.sendStatus({ version: '0.5' });
    const waiting = await eventually(async () => {
      const response = await api<GatewayListDto>(baseUrl, `/api/gateways?admission=pending&search=${client.gatewayId}`);
      expect(response.body.items).toHaveLength(1);
      return response.body.items[0];
    });
    expect(waiting.admission).toBe('pending');

    const before = await metricValue(baseUrl, 'um_gateway_requests_refused_total', { reason: 'pending' });
    await client.requestLatestVersion();
    await eventually(async () => expect(await metricValue(baseUrl, 'um_gateway_requests_refused_total', { reason: 'pending' })).toBe(before + 1));

    const accepted = await api<GatewayDto>(baseUrl, `/api/gateways/${client.gatewayId}/accept`, { method: 'POST' });
    expect(accepted.status).toBe(201);
    expect(accepted.body.admission).toBe('accepted');
    await eventually(
      async () => {
        const latest = client.waitFor(ToGatewayMessageType.LatestVersion, (message) => !message.broadcast && message.version === version, 1_000);
        await client.requestLatestVersion();
        await latest;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
  });

  it('refuses a deployment to a waiting gateway', async () => {
    const client = await connectGateway(uniqueId('gw-wait'), uniqueId('co'));
    clients.push(client);
    await client.sendStatus({ version: '0.5' });
    await eventually(async () => expect((await api(baseUrl, `/api/gateways/${client.gatewayId}`)).status).toBe(200));
    const response = await api(baseUrl, '/api/deployments', { method: 'POST', body: { version, gatewayIds: [client.gatewayId] } });
    expect(response.status).toBe(409);
  });
});
