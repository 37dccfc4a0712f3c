import { encodeFrameHeader, payloadCrc32, toCloudTopic, ToCloudMessageType } from '@upgrade-manager/frame-codec';
import { connectAsync } from 'mqtt';
import { api, metricValue, uniqueId } from './protocol-helpers';
import { eventually, startTestApi, type TestApi } from './test-api';

const FRAME_BYTES = 200 * 1024 * 1024;

/** A field gateway's connection with the shared account, no reconnection. */
function connectAsGateway(gatewayId: string) {
  return connectAsync(process.env['MQTT_URL'] ?? 'mqtt://127.0.0.1:1883', {
    clientId: gatewayId,
    username: process.env['MQTT_GATEWAY_USERNAME'] ?? 'gateway',
    password: process.env['MQTT_GATEWAY_PASSWORD'],
    reconnectPeriod: 0,
    clean: true,
  });
}

describe('broker limits (real broker and database)', () => {
  let testApi: TestApi;

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1' });
  });

  afterAll(async () => {
    await testApi?.close();
  });

  it('disconnects a gateway that publishes a 200 MiB frame on a TOCLOUD topic; the API never sees it', async () => {
    const maxImageBytes = Number(process.env['MAX_IMAGE_BYTES'] ?? 128 * 1024 * 1024);
    // The local broker's max_packet_size is MAX_IMAGE_BYTES + 64 KiB (tools/services).
    if (maxImageBytes + 65536 >= FRAME_BYTES)
      throw new Error(`MAX_IMAGE_BYTES=${maxImageBytes} in .env lets the broker take 200 MiB packets; use the default (134217728)`);
    const baseUrl = testApi.baseUrl;
    const gatewayId = uniqueId('gw-huge');
    const received = await metricValue(baseUrl, 'um_gateway_messages_total', { type: ToCloudMessageType.Status });
    const rejected = await metricValue(baseUrl, 'um_frames_rejected_total', { reason: 'TOO_LARGE' });
    const tooShort = await metricValue(baseUrl, 'um_frames_rejected_total', { reason: 'TOO_SHORT' });

    const client = await connectAsGateway(gatewayId);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const payload = Buffer.alloc(FRAME_BYTES - 12, 0x20);
    const frame = Buffer.concat([
      encodeFrameHeader({ timestampSeconds: Math.floor(Date.now() / 1000), payloadLength: payload.byteLength, crc: payloadCrc32(payload) }),
      payload,
    ]);
    const published = client.publishAsync(toCloudTopic(ToCloudMessageType.Status, gatewayId), frame, { qos: 1 }).then(
      () => 'acknowledged',
      () => 'failed',
    );
    await closed;
    expect(await Promise.race([published, new Promise((resolve) => setTimeout(() => resolve('no acknowledgement'), 2000))])).not.toBe('acknowledged');
    await client.endAsync(true);

    // A small message after it still arrives: the API is connected and would have counted the big one.
    const probe = await connectAsGateway(gatewayId);
    await probe.publishAsync(toCloudTopic(ToCloudMessageType.Status, gatewayId), Buffer.from('not a frame'), { qos: 1 });
    await probe.endAsync();
    await eventually(async () => expect(await metricValue(baseUrl, 'um_frames_rejected_total', { reason: 'TOO_SHORT' })).toBe(tooShort + 1));
    expect(await metricValue(baseUrl, 'um_gateway_messages_total', { type: ToCloudMessageType.Status })).toBe(received);
    expect(await metricValue(baseUrl, 'um_frames_rejected_total', { reason: 'TOO_LARGE' })).toBe(rejected);
    expect((await api(baseUrl, `/api/gateways/${gatewayId}`)).status).toBe(404);
  });
});
