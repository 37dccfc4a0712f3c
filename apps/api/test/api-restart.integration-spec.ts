import type { DeploymentCreatedDto, DeploymentDetailDto, GatewayDto } from '@upgrade-manager/dto';
import { ToGatewayMessageType } from '@upgrade-manager/frame-codec';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ApiBuild, ApiChild, freePort } from './built-api';
import { api, connectGateway, uniqueId, uniqueMajor, uploadVersion } from './protocol-helpers';
import { eventually, forgetMqttSession } from './test-api';

/**
 * The API killed with SIGKILL in the middle of a deployment: the Status the gateway sends while
 * it is down waits in the API's persistent MQTT session and confirms the upgrade after the restart.
 */
describe('API restart during a deployment (built API as a child process)', () => {
  const suffix = randomBytes(4).toString('hex');
  const mongoUrl = new URL(process.env['MONGO_URL'] ?? 'mongodb://127.0.0.1:27017/upgrade-manager');
  mongoUrl.pathname = `/um-test-restart-${suffix}`;
  const mqttClientId = `um-test-restart-api-${suffix}`;
  const version = `${uniqueMajor()}.1`;
  const build = new ApiBuild();
  let apiChild: ApiChild;
  let baseUrl: string;
  let gateway: GatewayClient | undefined;

  const startApi = (): Promise<void> => apiChild.start();
  const killApi = (): Promise<void> => apiChild.kill('SIGKILL');

  beforeAll(async () => {
    await build.build();
    apiChild = new ApiChild(build.main, await freePort(), {
      AUTH_MODE: 'none',
      MONGO_URL: mongoUrl.toString(),
      MQTT_CLIENT_ID: mqttClientId,
      API_INSTANCE_ID: 'restart',
      WEB_DIST_DIR: `/nonexistent-${suffix}`,
      RESOURCES_DIR: join(build.dir, 'resources'),
    });
    baseUrl = apiChild.baseUrl;
  }, 240_000);

  afterAll(async () => {
    await gateway?.close();
    await killApi();
    // Drop the API's persistent session on the broker and its database.
    await forgetMqttSession(`${mqttClientId}-restart`).catch(() => undefined);
    const connection = await mongoose.createConnection(mongoUrl.toString()).asPromise();
    await connection.dropDatabase();
    await connection.close();
    await build.remove();
  });

  it('confirms the upgrade from a Status sent while the API was down', async () => {
    await startApi();
    await uploadVersion(baseUrl, version, version);
    gateway = await connectGateway(uniqueId('gw-restart'), uniqueId('co'));
    await gateway.sendStatus({ version: '0.5' });
    await eventually(async () => expect((await api(baseUrl, `/api/gateways/${gateway?.gatewayId}`)).status).toBe(200));

    const upgrade = gateway.waitFor(ToGatewayMessageType.Upgrade, (message) => !message.broadcast);
    const created = await api<DeploymentCreatedDto>(baseUrl, '/api/deployments', { method: 'POST', body: { version, gatewayIds: [gateway.gatewayId] } });
    expect(created.status).toBe(201);
    expect((await upgrade).content.toString()).toBe(version);

    await killApi();
    // Installed while the API is down: the broker keeps the Status for the API's session.
    await gateway.sendStatus({ version, timestamp: Date.now() });
    await startApi();

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
