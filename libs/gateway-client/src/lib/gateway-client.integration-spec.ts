import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import {
  availableVersionsPayload,
  decodeFrame,
  encodeFrame,
  latestVersionPayload,
  parseStatusPayload,
  parseVersionRequestPayload,
} from '@upgrade-manager/frame-codec';
import { connectCloud, gatewayOptions, nextMessage, uniqueId } from '../../test/broker';
import { GatewayClient } from './gateway-client';
import { GatewayFleet, fleetGatewayIds } from './gateway-fleet';

describe('GatewayClient against the real broker', () => {
  let cloud: MqttClient;
  const open: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    cloud = await connectCloud();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((client) => client.close()));
  });

  afterAll(async () => {
    await cloud.endAsync();
  });

  async function gateway(gatewayId = uniqueId('gwc-it'), overrides: Parameters<typeof gatewayOptions>[1] = {}): Promise<GatewayClient> {
    // Clean sessions, so the broker keeps nothing of these throw-away ids.
    const client = new GatewayClient(gatewayOptions(gatewayId, { clean: true, ...overrides }));
    open.push(client);
    await client.connect();
    return client;
  }

  it('sends the four gateway → cloud messages as frames', async () => {
    const client = await gateway();
    const id = client.gatewayId;
    await cloud.subscribeAsync(`TOCLOUD/+/${id}`, { qos: 1 });
    const status = nextMessage(cloud, `TOCLOUD/STATUS/${id}`);
    await client.sendStatus({ version: '0.5', timestamp: 1764190000123 });
    expect(parseStatusPayload(decodeFrame(await status).payload)).toEqual({ companyId: '2', version: '0.5', lastUpgradeAt: 1764190000123 });

    const latest = nextMessage(cloud, `TOCLOUD/REQUEST_LATEST_VERSION/${id}`);
    await client.requestLatestVersion();
    expect(decodeFrame(await latest).payload.toString()).toBe(' ');

    const available = nextMessage(cloud, `TOCLOUD/REQUEST_AVAILABLE_VERSIONS/${id}`);
    await client.requestAvailableVersions();
    expect(decodeFrame(await available).payload.toString()).toBe(' ');

    const upgrade = nextMessage(cloud, `TOCLOUD/REQUEST_UPGRADE/${id}`);
    await client.requestUpgrade('1.10');
    expect(parseVersionRequestPayload(decodeFrame(await upgrade).payload)).toEqual({ version: '1.10' });
    await cloud.unsubscribeAsync(`TOCLOUD/+/${id}`);
  });

  it('receives messages on its own topics, a 3 MiB binary byte for byte', async () => {
    const client = await gateway();
    const id = client.gatewayId;
    const latest = client.waitFor('LATEST_VERSION');
    await cloud.publishAsync(`TOGATEWAY/LATEST_VERSION/${id}`, encodeFrame(latestVersionPayload('1.2')), { qos: 1 });
    await expect(latest).resolves.toMatchObject({ version: '1.2', broadcast: false });

    const available = client.waitFor('AVAILABLE_VERSIONS');
    await cloud.publishAsync(`TOGATEWAY/AVAILABLE_VERSIONS/${id}`, encodeFrame(availableVersionsPayload(['0.5', '1.2'])), { qos: 1 });
    await expect(available).resolves.toMatchObject({ versions: ['0.5', '1.2'] });

    const image = randomBytes(3 * 1024 * 1024);
    const download = client.waitFor('DOWNLOAD_UPGRADE');
    await cloud.publishAsync(`TOGATEWAY/DOWNLOAD_UPGRADE/${id}`, encodeFrame(image), { qos: 1 });
    expect((await download).content.equals(image)).toBe(true);

    const upgrade = client.waitFor('UPGRADE');
    await cloud.publishAsync(`TOGATEWAY/UPGRADE/${id}`, encodeFrame(image), { qos: 1 });
    expect((await upgrade).content.equals(image)).toBe(true);
  });

  it('reports a frame with a bad CRC as invalidFrame and stays connected', async () => {
    const client = await gateway();
    const frame = encodeFrame('1.3');
    frame[frame.length - 1] ^= 0x01;
    const invalid = client.waitForInvalidFrame();
    await cloud.publishAsync(`TOGATEWAY/UPGRADE/${client.gatewayId}`, frame, { qos: 1 });
    await expect(invalid).resolves.toMatchObject({ reason: 'CRC_MISMATCH', type: 'UPGRADE' });

    const latest = client.waitFor('LATEST_VERSION');
    await cloud.publishAsync(`TOGATEWAY/LATEST_VERSION/${client.gatewayId}`, encodeFrame(latestVersionPayload('1.3')), { qos: 1 });
    await expect(latest).resolves.toMatchObject({ version: '1.3' });
    expect(client.connected).toBe(true);
  });

  it('does not receive messages addressed to another gateway', async () => {
    const client = await gateway();
    const other = await gateway();
    const received = jest.fn();
    client.on('message', received);
    const otherLatest = other.waitFor('LATEST_VERSION');
    await cloud.publishAsync(`TOGATEWAY/LATEST_VERSION/${other.gatewayId}`, encodeFrame(latestVersionPayload('9.9')), { qos: 1 });
    await otherLatest;
    // A round trip through the broker after it: had the first reached `client`, it would be here by now.
    const own = client.waitFor('LATEST_VERSION');
    await cloud.publishAsync(`TOGATEWAY/LATEST_VERSION/${client.gatewayId}`, encodeFrame(latestVersionPayload('1.0')), { qos: 1 });
    await own;
    expect(received.mock.calls.map(([message]) => message.version)).toEqual(['1.0']);
  });

  it('with a persistent session, gets an Upgrade published while it was offline', async () => {
    const id = uniqueId('gwc-it-persistent');
    const first = await gateway(id, { clean: false });
    await first.close();
    const image = randomBytes(1024);
    await cloud.publishAsync(`TOGATEWAY/UPGRADE/${id}`, encodeFrame(image), { qos: 1 });

    const again = new GatewayClient(gatewayOptions(id, { clean: false }));
    open.push(again);
    const upgrade = again.waitFor('UPGRADE', () => true, 10_000);
    await again.connect();
    expect((await upgrade).content.equals(image)).toBe(true);
    await again.close();
    // Clean up: a clean-session connection discards the broker's session for this id.
    await gateway(id, { clean: true });
  });

  it('rejects connect() for a wrong password', async () => {
    const client = new GatewayClient(gatewayOptions(uniqueId('gwc-it'), { password: 'wrong', clean: true }));
    await expect(client.connect()).rejects.toThrow(/Connection refused/);
    expect(client.connected).toBe(false);
  });

  it('a fleet connects its gateways and each gets its own message', async () => {
    const prefix = uniqueId('gwc-it-fleet');
    const fleet = new GatewayFleet({
      gatewayIds: fleetGatewayIds(prefix, 30),
      client: { ...gatewayOptions('unused', { clean: true }) },
      concurrency: 10,
    });
    open.push(fleet);
    const received = fleet.clients.map((client) => client.waitFor('LATEST_VERSION', (message) => message.version === '4.2', 20_000));
    const result = await fleet.start();
    expect(result).toEqual({ connected: 30, failed: [] });
    await Promise.all(
      fleet.clients.map((client) => cloud.publishAsync(`TOGATEWAY/LATEST_VERSION/${client.gatewayId}`, encodeFrame(latestVersionPayload('4.2')), { qos: 1 })),
    );
    expect(await Promise.all(received)).toHaveLength(30);
    await fleet.close();
    expect(fleet.connectedCount).toBe(0);
  });
});
