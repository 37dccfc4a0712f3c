import { encodeFrame, MAX_JSON_PAYLOAD_LENGTH, toCloudTopic, ToCloudMessageType } from '@upgrade-manager/frame-codec';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import { encodeProgress, MAX_JSON_MESSAGE_BYTES, toCloudV2Topic, ToCloudV2MessageType } from '@upgrade-manager/protocol-v2';
import { connectGateway, metricValue, uniqueId } from '../../test/protocol-helpers';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { PROGRESS_PACE, requestRateLimit } from './gateway-routes';

const FLOOD = 300;
const REQUESTS_PER_MINUTE = 30;

/** A JSON object of `fields` padded with keys up to `maxBytes`: what costs the API most to parse. */
function padded(fields: string, maxBytes: number): string {
  const keys: string[] = [];
  for (let index = 0, length = fields.length + 2; length + `,"k${index}":0`.length <= maxBytes; index++) {
    keys.push(`"k${index}":0`);
    length += `,"k${index}":0`.length;
  }
  return `{${fields},${keys.join(',')}}`;
}

describe('gateway messages over their rate, dropped before reading (real broker and database)', () => {
  let testApi: TestApi;
  let baseUrl: string;
  const clients: GatewayClient[] = [];

  async function gateway(prefix: string): Promise<GatewayClient> {
    const client = await connectGateway(uniqueId(prefix), uniqueId('co-limit'));
    clients.push(client);
    return client;
  }

  const handled = (type: string) => metricValue(baseUrl, 'um_gateway_messages_total', { type });

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1', GATEWAY_REQUESTS_PER_MINUTE: String(REQUESTS_PER_MINUTE) });
    baseUrl = testApi.baseUrl;
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await testApi?.close();
  });

  it("reads a flooding gateway's largest Request Upgrades only at its rate, and still answers another gateway", async () => {
    const [flooder, other] = [await gateway('gw-req-flood'), await gateway('gw-req-calm')];
    const refused = () => metricValue(baseUrl, 'um_gateway_requests_refused_total', { reason: 'rate-limited' });
    const served = () => metricValue(baseUrl, 'um_upgrade_requests_unknown_version_total');
    const [handledBefore, refusedBefore, servedBefore] = [await handled(ToCloudMessageType.RequestUpgrade), await refused(), await served()];
    const request = encodeFrame(padded('"version":"999999.1"', MAX_JSON_PAYLOAD_LENGTH));
    const topic = toCloudTopic(ToCloudMessageType.RequestUpgrade, flooder.gatewayId);
    const started = Date.now();

    await Promise.all(Array.from({ length: FLOOD }, () => flooder.publishRaw(topic, request)));
    const answered = new Promise<string[]>((resolve) => other.onAvailableVersions(resolve));
    await other.requestAvailableVersions();
    await answered;

    // Every request accounted for: served (an unknown version, counted) or refused for its rate, before or after reading.
    await eventually(async () => expect((await refused()) - refusedBefore + (await served()) - servedBefore).toBe(FLOOD), {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    const elapsedS = (Date.now() - started) / 1000;
    const { burst, ratePerS } = requestRateLimit(REQUESTS_PER_MINUTE);
    // The burst and the rate since (a bound from the time the test took, not a timing): the rest was never read.
    expect((await handled(ToCloudMessageType.RequestUpgrade)) - handledBefore).toBeLessThanOrEqual(burst + Math.ceil(elapsedS * ratePerS));
  });

  it("reads a flooding gateway's largest Progress reports only at its rate; another gateway's final report still gets through", async () => {
    const [flooder, other] = [await gateway('gw-progress-flood'), await gateway('gw-progress-calm')];
    const refused = (reason: string) => metricValue(baseUrl, 'um_v2_progress_refused_total', { reason });
    const [handledBefore, rateLimitedBefore, notOfferedBefore] = [
      await handled(ToCloudV2MessageType.Progress),
      await refused('rate-limited'),
      await refused('not-offered'),
    ];
    const report = encodeFrame(padded('"deploymentId":"dep-flood","state":"downloading","bytes":1', MAX_JSON_MESSAGE_BYTES));
    const topic = toCloudV2Topic(ToCloudV2MessageType.Progress, flooder.gatewayId);
    const started = Date.now();

    await Promise.all(Array.from({ length: FLOOD }, () => flooder.publishRaw(topic, report)));
    // Read or not, each report is refused: there is no such deployment.
    const accounted = async () => (await refused('rate-limited')) - rateLimitedBefore + (await refused('not-offered')) - notOfferedBefore;
    await eventually(async () => expect(await accounted()).toBe(FLOOD), { timeoutMs: 30_000, intervalMs: 250 });
    const elapsedS = (Date.now() - started) / 1000;
    const { burst, ratePerS } = PROGRESS_PACE;
    expect((await handled(ToCloudV2MessageType.Progress)) - handledBefore).toBeLessThanOrEqual(burst + Math.ceil(elapsedS * ratePerS));

    // Read, past both rate limits, to the offer check.
    const notOffered = await refused('not-offered');
    const final = encodeProgress({ deploymentId: 'dep-calm', state: 'succeeded', bytes: null, reason: null });
    await other.publishRaw(toCloudV2Topic(ToCloudV2MessageType.Progress, other.gatewayId), encodeFrame(final));
    await eventually(async () => expect(await refused('not-offered')).toBe(notOffered + 1));
  });
});
