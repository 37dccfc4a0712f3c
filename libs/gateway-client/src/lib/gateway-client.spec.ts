import { ErrorWithReasonCode } from 'mqtt';
import { decodeFrame, encodeFrame } from '@upgrade-manager/frame-codec';
import { fakeConnect, type FakeMqttClient } from '../../test/fake-mqtt';
import { GatewayClient, GatewayTimeoutError, gatewaySubscriptionTopics } from './gateway-client';

async function connected(options: Partial<ConstructorParameters<typeof GatewayClient>[0]> = {}) {
  const fake = fakeConnect();
  const client = new GatewayClient({ url: 'mqtt://127.0.0.1:1883', gatewayId: 'gw-1', companyId: '2', ...options }, fake.connect);
  await client.connect();
  const mqtt = fake.clients[0] as FakeMqttClient;
  return { client, mqtt };
}

function sent(mqtt: FakeMqttClient) {
  return mqtt.published.map(({ topic, payload, options }) => ({ topic, payload: decodeFrame(payload).payload.toString(), qos: options?.qos }));
}

describe('gatewaySubscriptionTopics', () => {
  it('lists the 4 types, broadcast and own', () => {
    expect(gatewaySubscriptionTopics('gw-1')).toEqual([
      'TOGATEWAY/UPGRADE',
      'TOGATEWAY/UPGRADE/gw-1',
      'TOGATEWAY/LATEST_VERSION',
      'TOGATEWAY/LATEST_VERSION/gw-1',
      'TOGATEWAY/AVAILABLE_VERSIONS',
      'TOGATEWAY/AVAILABLE_VERSIONS/gw-1',
      'TOGATEWAY/DOWNLOAD_UPGRADE',
      'TOGATEWAY/DOWNLOAD_UPGRADE/gw-1',
    ]);
  });
});

describe('GatewayClient', () => {
  it('rejects an id that would break the topics', () => {
    expect(() => new GatewayClient({ url: 'mqtt://x', gatewayId: 'a/b' })).toThrow(RangeError);
  });

  it('connects with the gatewayId as client id and subscribes to its topics', async () => {
    const { client, mqtt } = await connected();
    expect(mqtt.options).toMatchObject({ clientId: 'gw-1', clean: false });
    expect(mqtt.subscribed).toEqual(gatewaySubscriptionTopics('gw-1'));
    expect(client.connected).toBe(true);
    await client.close();
  });

  it('sends the four gateway → cloud messages as QoS 1 frames', async () => {
    const { client, mqtt } = await connected();
    await client.sendStatus({ version: '0.5', timestamp: 1764190000123 });
    await client.sendStatus({ companyId: '3', version: '1.0' });
    await client.requestLatestVersion();
    await client.requestAvailableVersions();
    await client.requestUpgrade('1.2');
    expect(sent(mqtt)).toEqual([
      { topic: 'TOCLOUD/STATUS/gw-1', payload: '{"companyId":"2","version":"0.5","timestamp":1764190000123}', qos: 1 },
      { topic: 'TOCLOUD/STATUS/gw-1', payload: '{"companyId":"3","version":"1.0"}', qos: 1 },
      { topic: 'TOCLOUD/REQUEST_LATEST_VERSION/gw-1', payload: ' ', qos: 1 },
      { topic: 'TOCLOUD/REQUEST_AVAILABLE_VERSIONS/gw-1', payload: ' ', qos: 1 },
      { topic: 'TOCLOUD/REQUEST_UPGRADE/gw-1', payload: '{"version":"1.2"}', qos: 1 },
    ]);
    await client.close();
  });

  it('dates a Status frame now, or as told', async () => {
    const { client, mqtt } = await connected();
    const before = Math.floor(Date.now() / 1000);
    await client.sendStatus({ version: '0.5' });
    await client.sendStatus({ version: '0.6' }, 1764190000);
    const [now, dated] = mqtt.published.map((message) => decodeFrame(message.payload).timestampSeconds);
    expect(now).toBeGreaterThanOrEqual(before);
    expect(dated).toBe(1764190000);
    await client.close();
  });

  it('can send empty request payloads', async () => {
    const { client, mqtt } = await connected({ requestPayload: 'empty' });
    await client.requestLatestVersion();
    expect(mqtt.published[0]?.payload.length).toBe(12);
    await client.close();
  });

  it('needs a companyId for Status', async () => {
    const { client } = await connected({ companyId: undefined });
    await expect(client.sendStatus({ version: '1.0' })).rejects.toThrow(/companyId/);
    await client.close();
  });

  it('publishes raw bytes as they are', async () => {
    const { client, mqtt } = await connected();
    await client.publishRaw('TOCLOUD/STATUS/gw-1', Buffer.from([1, 2, 3]), { qos: 0 });
    expect(mqtt.published[0]).toEqual({ topic: 'TOCLOUD/STATUS/gw-1', payload: Buffer.from([1, 2, 3]), options: { qos: 0, retain: false } });
    await client.close();
  });

  it('emits typed events and calls the callbacks for received messages', async () => {
    const { client, mqtt } = await connected();
    const calls: unknown[] = [];
    client.onLatestVersion((version, message) => calls.push(['latest', version, message.broadcast]));
    client.onAvailableVersions((versions) => calls.push(['available', versions]));
    const offUpgrade = client.onUpgrade((content) => calls.push(['upgrade', content.toString()]));
    client.onDownloadUpgrade((content, message) => calls.push(['download', content.toString(), message.topic]));
    mqtt.deliver('TOGATEWAY/LATEST_VERSION', encodeFrame('{"version":"1.2"}'));
    mqtt.deliver('TOGATEWAY/AVAILABLE_VERSIONS/gw-1', encodeFrame('{"versions":["0.5","1.2"]}'));
    mqtt.deliver('TOGATEWAY/UPGRADE/gw-1', encodeFrame('1.2'));
    mqtt.deliver('TOGATEWAY/DOWNLOAD_UPGRADE/gw-1', encodeFrame('1.3'));
    offUpgrade();
    mqtt.deliver('TOGATEWAY/UPGRADE', encodeFrame('1.4'));
    expect(calls).toEqual([
      ['latest', '1.2', true],
      ['available', ['0.5', '1.2']],
      ['upgrade', '1.2'],
      ['download', '1.3', 'TOGATEWAY/DOWNLOAD_UPGRADE/gw-1'],
    ]);
    await client.close();
  });

  it('reports a frame that fails to decode as invalidFrame, never throws', async () => {
    const { client, mqtt } = await connected();
    const invalid = client.waitForInvalidFrame();
    const upgrades = jest.fn();
    client.onUpgrade(upgrades);
    const frame = encodeFrame('1.2');
    frame[frame.length - 1] ^= 1;
    expect(() => mqtt.deliver('TOGATEWAY/UPGRADE/gw-1', frame)).not.toThrow();
    await expect(invalid).resolves.toMatchObject({ reason: 'CRC_MISMATCH', topic: 'TOGATEWAY/UPGRADE/gw-1' });
    expect(upgrades).not.toHaveBeenCalled();
    await client.close();
  });

  it('waitFor resolves with the first matching message of its type', async () => {
    const { client, mqtt } = await connected();
    const waiting = client.waitFor('LATEST_VERSION', (message) => message.version === '2.0', 1000);
    mqtt.deliver('TOGATEWAY/AVAILABLE_VERSIONS', encodeFrame('{"versions":["2.0"]}'));
    mqtt.deliver('TOGATEWAY/LATEST_VERSION', encodeFrame('{"version":"1.0"}'));
    mqtt.deliver('TOGATEWAY/LATEST_VERSION/gw-1', encodeFrame('{"version":"2.0"}'));
    await expect(waiting).resolves.toMatchObject({ type: 'LATEST_VERSION', version: '2.0', broadcast: false });
    expect(client.listenerCount('message')).toBe(0);
    await client.close();
  });

  it('waitFor rejects on time-out and on close', async () => {
    const { client } = await connected();
    await expect(client.waitFor('UPGRADE', () => true, 10)).rejects.toBeInstanceOf(GatewayTimeoutError);
    const waiting = client.waitFor('UPGRADE');
    await client.close();
    await expect(waiting).rejects.toThrow(/closed/);
  });

  it('rejects connect() at once when the broker refuses the connection, and closes', async () => {
    const fake = fakeConnect((mqtt) => queueMicrotask(() => mqtt.emit('error', new ErrorWithReasonCode('Connection refused: Not authorized', 5))));
    const client = new GatewayClient({ url: 'mqtt://127.0.0.1:1883', gatewayId: 'gw-1' }, fake.connect);
    await expect(client.connect()).rejects.toThrow(/Not authorized/);
    expect(fake.clients[0]?.ended).toBe(true);
    expect(client.connected).toBe(false);
  });

  it('keeps waiting through network errors until connectTimeoutMs', async () => {
    const fake = fakeConnect((mqtt) => queueMicrotask(() => mqtt.emit('error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))));
    const client = new GatewayClient({ url: 'mqtt://127.0.0.1:1', gatewayId: 'gw-1', connectTimeoutMs: 20 }, fake.connect);
    const errors = jest.fn();
    client.on('connectionError', errors);
    await expect(client.connect()).rejects.toThrow(/within 20 ms: connect ECONNREFUSED/);
    expect(errors).toHaveBeenCalledTimes(1);
  });

  it('stops a pending connect() when closed', async () => {
    const fake = fakeConnect(() => undefined);
    const client = new GatewayClient({ url: 'mqtt://127.0.0.1:1883', gatewayId: 'gw-1' }, fake.connect);
    const connecting = client.connect();
    await client.close();
    await expect(connecting).rejects.toThrow(/closed before it connected/);
  });

  it('rejects connect() when the subscription is refused', async () => {
    const fake = fakeConnect((mqtt) => {
      mqtt.subscribeError = new Error('Subscribe error: Not authorized');
      queueMicrotask(() => mqtt.acceptConnection());
    });
    const client = new GatewayClient({ url: 'mqtt://127.0.0.1:1883', gatewayId: 'gw-1' }, fake.connect);
    await expect(client.connect()).rejects.toThrow(/Subscribe error/);
  });

  it('refuses to publish before connect()', async () => {
    const client = new GatewayClient({ url: 'mqtt://127.0.0.1:1883', gatewayId: 'gw-1', companyId: '2' });
    await expect(client.requestLatestVersion()).rejects.toThrow(/not connected/);
  });
});
