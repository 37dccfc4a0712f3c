import type { GatewayDto } from '@upgrade-manager/dto';
import { encodeFrame, toCloudTopic, ToCloudMessageType } from '@upgrade-manager/frame-codec';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import { api, connectGateway, metricValue, uniqueId } from '../../test/protocol-helpers';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { STATUS_PACE } from './gateway-routes';

const FLOOD = 200;

/** A Status near the 64 KiB limit with thousands of keys: what costs the API most to check and parse. */
function heavyStatus(companyId: string, version: string): Buffer {
  const padding = Array.from({ length: 6_500 }, (_, index) => `"k${index}":0`).join(',');
  return encodeFrame(`{"companyId":"${companyId}","version":"${version}",${padding}}`);
}

describe('Status pace (real broker and database)', () => {
  let testApi: TestApi;
  let baseUrl: string;
  const clients: GatewayClient[] = [];

  async function gateway(prefix: string, companyId: string): Promise<GatewayClient> {
    const client = await connectGateway(uniqueId(prefix), companyId);
    clients.push(client);
    return client;
  }

  const versionOf = async (gatewayId: string) => (await api<GatewayDto>(baseUrl, `/api/gateways/${gatewayId}`)).body.version;
  const statusesHandled = () => metricValue(baseUrl, 'um_gateway_messages_total', { type: ToCloudMessageType.Status });
  const rateLimited = (reason: string) => metricValue(baseUrl, 'um_frames_rejected_total', { reason });

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1' });
    baseUrl = testApi.baseUrl;
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await testApi?.close();
  });

  it("reads a flooding gateway's Statuses at its pace, stores its latest, and still handles another gateway's", async () => {
    const companyId = uniqueId('co-pace');
    const flooder = await gateway('gw-flood', companyId);
    const other = await gateway('gw-calm', companyId);
    const handledBefore = await statusesHandled();
    const replacedBefore = await rateLimited('RATE_LIMITED');
    const droppedBefore = await rateLimited('RATE_LIMITED_DROPPED');
    const topic = toCloudTopic(ToCloudMessageType.Status, flooder.gatewayId);
    const started = Date.now();

    await Promise.all(Array.from({ length: FLOOD }, (_, index) => flooder.publishRaw(topic, heavyStatus(companyId, `0.${index + 1}`))));
    await other.sendStatus({ version: '1.0' });

    await eventually(async () => expect(await versionOf(other.gatewayId)).toBe('1.0'), { timeoutMs: 30_000 });
    // Every Status accounted for: handled, or replaced while waiting by a later one of its gateway.
    const { handled, replaced } = await eventually(
      async () => {
        const counts = { handled: (await statusesHandled()) - handledBefore, replaced: (await rateLimited('RATE_LIMITED')) - replacedBefore };
        expect(counts.handled + counts.replaced).toBe(FLOOD + 1);
        return counts;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const elapsedS = (Date.now() - started) / 1000;
    expect(replaced).toBeGreaterThan(0);
    // The flooder's burst and one a second since (a bound from the time the test took, not a timing), and the other gateway's one.
    expect(handled).toBeLessThanOrEqual(STATUS_PACE.burst + Math.ceil(elapsedS * STATUS_PACE.ratePerS) + 1);
    expect((await rateLimited('RATE_LIMITED_DROPPED')) - droppedBefore).toBe(0);
    // The Status the flooder sent last is the one stored.
    await eventually(async () => expect(await versionOf(flooder.gatewayId)).toBe(`0.${FLOOD}`));
    expect(await metricValue(baseUrl, 'um_gateway_messages_waiting', { type: ToCloudMessageType.Status })).toBe(0);
  });
});
