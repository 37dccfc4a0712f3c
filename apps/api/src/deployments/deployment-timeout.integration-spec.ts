import type { DeploymentCreatedDto, DeploymentDetailDto, EventListDto, GatewayDto } from '@upgrade-manager/dto';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import { api, connectGateway, uniqueId, uniqueMajor, uploadVersion } from '../../test/protocol-helpers';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';

// A deployment time-out of one second, so that a target nobody confirms fails quickly.
describe('deployment time-out (real broker and database)', () => {
  let testApi: TestApi;
  let client: GatewayClient;
  const version = `${uniqueMajor()}.1`;

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1', DEPLOYMENT_TIMEOUT_S: '1' });
    await uploadVersion(testApi.baseUrl, version, version);
    client = await connectGateway(uniqueId('gw-timeout'), uniqueId('co'));
  });

  afterAll(async () => {
    await client?.close();
    await testApi?.close();
  });

  it('fails a pending target when no Status confirms it by its deadline', async () => {
    await client.sendStatus({ version: '0.5' });
    await eventually(async () => expect((await api(testApi.baseUrl, `/api/gateways/${client.gatewayId}`)).status).toBe(200));
    // The gateway never reports back.
    const created = await api<DeploymentCreatedDto>(testApi.baseUrl, '/api/deployments', { method: 'POST', body: { version, gatewayIds: [client.gatewayId] } });
    expect(created.status).toBe(201);

    const target = await eventually(
      async () => {
        const { body } = await api<DeploymentDetailDto>(testApi.baseUrl, `/api/deployments/${created.body.id}`);
        expect(body.targets[0].status).toBe('failed');
        return body.targets[0];
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(target).toMatchObject({ gatewayId: client.gatewayId, reason: 'timeout' });
    const gateway = await api<GatewayDto>(testApi.baseUrl, `/api/gateways/${client.gatewayId}`);
    expect(gateway.body.upgrade).toEqual({ version, status: 'failed', deploymentId: created.body.id });
    const events = await api<EventListDto>(testApi.baseUrl, `/api/events?gatewayId=${client.gatewayId}&type=upgrade.failed`);
    expect(events.body.items[0].details).toMatchObject({ reason: 'timeout', deploymentId: created.body.id });

    // A late Status no longer changes a failed target.
    await client.sendStatus({ version });
    await eventually(async () => expect((await api<GatewayDto>(testApi.baseUrl, `/api/gateways/${client.gatewayId}`)).body.version).toBe(version));
    expect((await api<DeploymentDetailDto>(testApi.baseUrl, `/api/deployments/${created.body.id}`)).body.targets[0].status).toBe('failed');
  });
});
