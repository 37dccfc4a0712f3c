import { performance } from 'node:perf_hooks';
import { connectAsync, type MqttClient } from 'mqtt';
import { ToCloudMessageType, ToGatewayMessageType, toCloudTopic, toGatewayTopic } from '@upgrade-manager/frame-codec';
import { fleetGatewayIds, forEachConcurrently } from '@upgrade-manager/gateway-client';
import type { BenchEnv } from './bench-env';
import { Countdown } from './waiting';

/** The reply a bare subscriber sends once it has counted the whole image: not a frame, nobody decodes it. */
const BARE_REPLY = Buffer.from('ok');

interface BareRound {
  expectedBytes: number;
  delivered: Countdown;
  /** performance.now() of the last subscriber's full receipt. */
  lastReceiptAt: number;
}

/**
 * The bare fan-out's subscribers: N plain mqtt.js connections with the gateways' account, each
 * subscribed (QoS 1) to the Upgrade topics a gateway listens on. They only count the bytes they
 * receive and, once a round's bytes are in, publish one short reply (QoS 1). No frame decoding,
 * no CRC, no comparison: the cheapest client the broker can feed, the denominator of the rollouts.
 */
export class BareFleet {
  readonly ids: readonly string[];
  readonly idPrefix: string;
  private readonly clients: MqttClient[] = [];
  private round: BareRound | undefined;
  replyErrors = 0;

  constructor(
    private readonly env: BenchEnv,
    runId: string,
    count: number,
    private readonly concurrency: number,
  ) {
    this.idPrefix = `bare-${runId}-`;
    this.ids = fleetGatewayIds(`bare-${runId}`, count);
  }

  get size(): number {
    return this.ids.length;
  }

  /** Connects and subscribes every subscriber; rejects on the first that cannot. */
  async start(): Promise<void> {
    const failures = await forEachConcurrently(this.ids, this.concurrency, (id) => this.connectOne(id));
    const first = failures[0];
    if (first)
      throw new Error(
        `${failures.length} bare subscribers did not connect (first: ${first.error instanceof Error ? first.error.message : String(first.error)})`,
      );
  }

  /** From now on every subscriber expects `bytes` payload bytes, then replies once. */
  expect(bytes: number): { delivered: Countdown; lastReceiptAt: () => number | null } {
    const round: BareRound = { expectedBytes: bytes, delivered: new Countdown(this.size), lastReceiptAt: 0 };
    this.round = round;
    return { delivered: round.delivered, lastReceiptAt: () => (round.lastReceiptAt === 0 ? null : round.lastReceiptAt) };
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.endAsync(true).catch(() => undefined)));
    this.clients.length = 0;
  }

  private async connectOne(id: string): Promise<void> {
    const client = await connectAsync(this.env.mqttUrl, {
      clientId: id,
      clean: true,
      username: this.env.gatewayUsername,
      password: this.env.gatewayPassword,
      protocolVersion: 4,
      reconnectPeriod: 0,
      keepalive: 600,
      connectTimeout: 120_000,
    });
    this.clients.push(client);
    let received = 0;
    let repliedRound: BareRound | undefined;
    client.on('message', (_topic, payload) => {
      const round = this.round;
      if (!round || repliedRound === round) return;
      received += payload.byteLength;
      if (received < round.expectedBytes) return;
      received = 0;
      repliedRound = round;
      round.lastReceiptAt = performance.now();
      round.delivered.tick();
      client.publishAsync(toCloudTopic(ToCloudMessageType.Status, id), BARE_REPLY, { qos: 1 }).catch(() => this.replyErrors++);
    });
    await client.subscribeAsync([toGatewayTopic(ToGatewayMessageType.Upgrade), toGatewayTopic(ToGatewayMessageType.Upgrade, id)], { qos: 1 });
  }
}
