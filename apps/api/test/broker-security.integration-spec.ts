import type { DeploymentCreatedDto, GatewayDto } from '@upgrade-manager/dto';
import { ToGatewayMessageType } from '@upgrade-manager/frame-codec';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { MqttClient } from 'mqtt';
import { brokerCa, caFile, connectTlsGateway, tlsUrl, tryConnect } from './broker-tls';
import { api, uniqueId, uniqueMajor, uploadVersion } from './protocol-helpers';
import { eventually, startTestApi, type TestApi } from './test-api';

const plainUrl = process.env['MQTT_URL'] ?? 'mqtt://127.0.0.1:1883';
const gatewayAccount = { username: process.env['MQTT_GATEWAY_USERNAME'] ?? 'gateway', password: process.env['MQTT_GATEWAY_PASSWORD'] ?? '' };

describe('broker security: TLS verified against the CA, accounts required (real broker and database)', () => {
  let testApi: TestApi;
  let otherCaDir: string;
  const clients: MqttClient[] = [];
  const gateways: GatewayClient[] = [];

  beforeAll(async () => {
    // The API itself talks to the broker over TLS and verifies it against the CA.
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1', MQTT_URL: tlsUrl(), MQTT_CA_FILE: caFile() });
    // A CA the broker's certificate does not chain to: a self-signed certificate made by the other script.
    otherCaDir = mkdtempSync(join(tmpdir(), 'um-other-ca-'));
    execFileSync('bash', [resolve(__dirname, '../../../certs/create-self-signed.sh')], { env: { ...process.env, CERTS_OUT_DIR: otherCaDir }, stdio: 'ignore' });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.endAsync(true).catch(() => undefined)));
    await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
  });

  afterAll(async () => {
    await testApi?.close();
    rmSync(otherCaDir, { recursive: true, force: true });
  });

  async function expectRefused(url: string, options: Parameters<typeof tryConnect>[1], reason: RegExp): Promise<void> {
    const outcome = await tryConnect(url, { clientId: uniqueId('sec'), ...options });
    if (outcome.ok) clients.push(outcome.client);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.message).toMatch(reason);
  }

  it('refuses anonymous clients on the plain and the TLS listener', async () => {
    await expectRefused(plainUrl, {}, /not authori[sz]ed/i);
    await expectRefused(tlsUrl(), { ca: brokerCa() }, /not authori[sz]ed/i);
  });

  it('refuses a wrong password, for the shared gateway account and for the API account', async () => {
    await expectRefused(
      tlsUrl(),
      { ca: brokerCa(), username: gatewayAccount.username, password: `${gatewayAccount.password}-wrong` },
      /not authori[sz]ed|bad user name or password/i,
    );
    await expectRefused(
      plainUrl,
      { username: process.env['MQTT_USERNAME'] ?? 'upgrade-manager-api', password: 'wrong' },
      /not authori[sz]ed|bad user name or password/i,
    );
  });

  it('refuses a broker certificate that does not chain to the trusted CA, or none at all', async () => {
    const options = { ...gatewayAccount, rejectUnauthorized: true };
    await expectRefused(tlsUrl(), { ...options, ca: readFileSync(join(otherCaDir, 'ca.crt')) }, /certificate|self.signed/i);
    // Without a CA file the system's trust store applies, and it does not know the development CA.
    await expectRefused(tlsUrl(), options, /certificate|self.signed/i);
  });

  it('refuses plain MQTT on the TLS port', async () => {
    await expectRefused(tlsUrl().replace(/^mqtts:/, 'mqtt:'), gatewayAccount, /.+/);
  });

  it('works end to end over verified TLS: registration, deployment, Upgrade, confirmation', async () => {
    const companyId = uniqueId('co');
    const version = `${uniqueMajor()}.1`;
    const gateway = await connectTlsGateway(uniqueId('gw-tls'), companyId, { ...gatewayAccount, reconnectPeriod: 1000 });
    gateways.push(gateway);
    await gateway.sendStatus({ version: '0.5', timestamp: Date.now() });
    await eventually(async () => expect((await api<GatewayDto>(testApi.baseUrl, `/api/gateways/${gateway.gatewayId}`)).body.companyId).toBe(companyId));

    await uploadVersion(testApi.baseUrl, version, version);
    const upgrade = gateway.waitFor(ToGatewayMessageType.Upgrade, (message) => !message.broadcast);
    const deployed = await api<DeploymentCreatedDto>(testApi.baseUrl, '/api/deployments', {
      method: 'POST',
      body: { version, gatewayIds: [gateway.gatewayId] },
    });
    expect(deployed.status).toBe(201);
    expect((await upgrade).content.toString()).toBe(version);

    await gateway.sendStatus({ version, timestamp: Date.now() });
    await eventually(async () => {
      const { body } = await api<GatewayDto>(testApi.baseUrl, `/api/gateways/${gateway.gatewayId}`);
      expect(body.upgrade).toEqual({ version, status: 'confirmed', deploymentId: deployed.body.id });
      expect(body.version).toBe(version);
    });
  });
});
