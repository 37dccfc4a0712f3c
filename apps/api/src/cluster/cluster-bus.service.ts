import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { z, type ZodType } from 'zod';
import { AppConfigService } from '../config/app-config.service';
import { MetricsService } from '../metrics/metrics.service';
import { apiInstanceId } from '../mqtt/api-instance';
import { FramePublisher } from '../mqtt/frame-publisher.service';
import { RawFrameMqttServer } from '../mqtt/raw-frame-mqtt.server';
import { clusterTopicPrefix } from './cluster-topics';

// Internal messages are small (a live event, a deployment id): anything larger is refused.
export const MAX_CLUSTER_MESSAGE_BYTES = 256 * 1024;
const KIND = /^[a-z][a-z0-9-]*$/;

const envelope = z.object({ origin: z.string().max(200), body: z.unknown() });
// Messages this process published and has not heard back yet (see `ownEcho`): a few in flight at
// a time; one the broker dropped (QoS 0) leaves by age or when newer ones push it out.
const ECHOES_MAX = 64;
const ECHO_BYTES_MAX = 4 * 1024 * 1024;
const ECHO_TTL_MS = 10_000;

interface SentMessage {
  kind: string;
  payload: Buffer;
  body: unknown;
  sentAtMs: number;
}

interface Subscription {
  schema: ZodType;
  handle(body: unknown, origin: string): Promise<void> | void;
}

/**
 * Messages between the API processes of one deployment, over the broker they already share: a
 * topic under `upgrade-manager/cluster/<MQTT_CLIENT_ID>/<kind>` that every process subscribes to
 * (not shared) through its persistent session. Every process, the sender included, receives each
 * message; handlers see the sender's instance id. QoS 1 messages wait in the session of a process
 * that is down, and arrive in the order the broker received them, before any later gateway message.
 */
@Injectable()
export class ClusterBus implements OnModuleInit {
  private readonly logger = new Logger(ClusterBus.name);
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly prefix: string;
  readonly instanceId: string;
  private readonly refused: Counter;
  private readonly sent: SentMessage[] = [];
  private sentBytes = 0;

  constructor(
    config: AppConfigService,
    private readonly publisher: FramePublisher,
    private readonly subscriber: RawFrameMqttServer,
    metrics: MetricsService,
  ) {
    this.prefix = clusterTopicPrefix(config.get('MQTT_CLIENT_ID'));
    this.instanceId = apiInstanceId({ API_INSTANCE_ID: config.get('API_INSTANCE_ID'), PORT: config.get('PORT') });
    this.refused = metrics.counter({
      name: 'um_cluster_messages_refused_total',
      help: 'Internal messages between API processes refused (malformed, too large, unknown kind)',
    });
  }

  onModuleInit(): void {
    this.subscriber.setInternalHandler((topic, payload) => this.receive(topic, payload));
  }

  /** Registers the handler of one kind of message; `schema` validates its body. */
  on<T>(kind: string, schema: ZodType<T>, handle: (body: T, origin: string) => Promise<void> | void): void {
    if (!KIND.test(kind)) throw new Error(`Invalid cluster message kind: ${kind}`);
    this.subscriptions.set(kind, { schema, handle: handle as Subscription['handle'] });
  }

  /**
   * QoS 0 for what only matters now (live events), 1 for what a process must not miss. `bodyJson`:
   * `JSON.stringify(body)`, when the caller has it already. The body must not change afterwards:
   * this process's own handlers get it as it is (see `ownEcho`).
   */
  async publish(kind: string, body: unknown, qos: 0 | 1 = 1, bodyJson?: string): Promise<void> {
    // As JSON.stringify({ origin, body }) writes it (an undefined body as null).
    const payload = Buffer.from(`{"origin":${JSON.stringify(this.instanceId)},"body":${bodyJson ?? JSON.stringify(body) ?? 'null'}}`);
    this.remember({ kind, payload, body, sentAtMs: Date.now() });
    await this.publisher.publish(`${this.prefix}/${kind}`, payload, { qos });
  }

  private async receive(topic: string, payload: Buffer): Promise<boolean> {
    const kind = topic.slice(this.prefix.length + 1);
    const subscription = this.subscriptions.get(kind);
    if (!subscription || payload.byteLength > MAX_CLUSTER_MESSAGE_BYTES) return this.refuse(`${kind}: unknown kind or ${payload.byteLength} bytes`);
    const own = this.ownEcho(kind, payload);
    if (own) {
      await subscription.handle(own.body, this.instanceId);
      return true;
    }
    let parsed: z.infer<typeof envelope>;
    try {
      parsed = envelope.parse(JSON.parse(payload.toString('utf8')));
    } catch {
      return this.refuse(`${kind}: not an envelope`);
    }
    const body = subscription.schema.safeParse(parsed.body);
    if (!body.success) return this.refuse(`${kind}: ${body.error.issues[0]?.message ?? 'invalid body'}`);
    await subscription.handle(body.data, parsed.origin);
    return true;
  }

  /**
   * One of this process's own messages coming back (every process hears every message): the very
   * bytes it published under this kind, so its body is the one still in memory, already typed,
   * and neither parsed nor checked again. Whatever else arrives is parsed and checked, however it
   * names its origin: the `origin` field is what the sender wrote, and the broker's ACL only keeps
   * the bus to clients of the API's account. Equal bytes on the same kind say exactly what
   * this process sent, whoever sent them.
   */
  private ownEcho(kind: string, payload: Buffer): SentMessage | undefined {
    const index = this.sent.findIndex((sent) => sent.kind === kind && sent.payload.equals(payload));
    if (index < 0) return undefined;
    const [own] = this.sent.splice(index, 1);
    this.sentBytes -= own.payload.byteLength;
    return own;
  }

  private remember(message: SentMessage): void {
    this.sent.push(message);
    this.sentBytes += message.payload.byteLength;
    const oldest = message.sentAtMs - ECHO_TTL_MS;
    while (this.sent.length > 0 && (this.sent.length > ECHOES_MAX || this.sentBytes > ECHO_BYTES_MAX || this.sent[0].sentAtMs < oldest)) {
      this.sentBytes -= (this.sent.shift() as SentMessage).payload.byteLength;
    }
  }

  private refuse(reason: string): boolean {
    this.refused.inc();
    this.logger.warn(`Internal message refused: ${reason}`);
    return true;
  }
}
