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

  /** QoS 0 for what only matters now (live events), 1 for what a process must not miss. */
  async publish(kind: string, body: unknown, qos: 0 | 1 = 1): Promise<void> {
    const payload = Buffer.from(JSON.stringify({ origin: this.instanceId, body }));
    await this.publisher.publish(`${this.prefix}/${kind}`, payload, { qos });
  }

  private async receive(topic: string, payload: Buffer): Promise<boolean> {
    const kind = topic.slice(this.prefix.length + 1);
    const subscription = this.subscriptions.get(kind);
    if (!subscription || payload.byteLength > MAX_CLUSTER_MESSAGE_BYTES) return this.refuse(`${kind}: unknown kind or ${payload.byteLength} bytes`);
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

  private refuse(reason: string): boolean {
    this.refused.inc();
    this.logger.warn(`Internal message refused: ${reason}`);
    return true;
  }
}
