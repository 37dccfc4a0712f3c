import type { DeploymentCreatedDto, DeploymentDetailDto, GatewayDto } from '@upgrade-manager/dto';
import { ToGatewayMessageType } from '@upgrade-manager/frame-codec';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import { ChildApi } from './child-api';
import { api, connectGateway, uniqueId, uniqueMajor, uploadVersion } from './protocol-helpers';
import { eventually } from './test-api';

/**
 * The API killed with SIGKILL in the middle of a deployment: the Status the gateway sends while
 * it is down waits in the API's persistent MQTT session and confirms the upgrade after the restart.
 */
describe('API restart during a deployment (built API as a child process)', () => {
  const version = `${uniqueMajor()}.1`;
  const child = new ChildApi();
  let baseUrl: string;
  let gateway: GatewayClient | undefined;

  beforeAll(async () => {
    await child.build();
    baseUrl = child.baseUrl;
  }, 240_000);

  afterAll(async () => {
    await gateway?.close();
    await child.dispose();
  });

  it('confirms the upgrade from a Status sent while the API was down', async () => {
    await child.start();
    await uploadVersion(baseUrl, version, version);
    gateway = await connectGateway(uniqueId('gw-restart'), uniqueId('co'));
    await gateway.sendStatus({ version: '0.5' });
    await eventually(async () => expect((await api(baseUrl, `/api/gateways/${gateway?.gatewayId}`)).status).toBe(200));

    const upgrade = gateway.waitFor(ToGatewayMessageType.Upgrade, (message) => !message.broadcast);
    const created = await api<DeploymentCreatedDto>(baseUrl, '/api/deployments', { method: 'POST', body: { version, gatewayIds: [gateway.gatewayId] } });
    expect(created.status).toBe(201);
    expect((await upgrade).content.toString()).toBe(version);

    await child.kill();
    // Installed while the API is down: the broker keeps the Status for the API's session.
    await gateway.sendStatus({ version, timestamp: Date.now() });
    await child.start();

    await eventually(
      async () => {
        const { body } = await api<DeploymentDetailDto>(baseUrl, `/api/deployments/${created.body.id}`);
        expect(body.targets[0]).toMatchObject({ gatewayId: gateway?.gatewayId, status: 'confirmed' });
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const { body } = await api<GatewayDto>(baseUrl, `/api/gateways/${gateway.gatewayId}`);
    expect(body).toMatchObject({ version, upgrade: { version, status: 'confirmed', deploymentId: created.body.id } });
  }, 120_000);
});
