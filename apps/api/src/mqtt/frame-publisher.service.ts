import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';
import type { Counter, Gauge } from 'prom-client';
import { AppConfigService } from '../config/app-config.service';
import { MetricsService } from '../metrics/metrics.service';
import { ByteBudget } from './byte-budget';
import { FramesInFlight } from './frames-in-flight';
import { buildMqttClientOptions, mqttEnvFrom } from './mqtt-client-options';
import { storePublishesUncopied } from './uncopied-publish-store';

// Bytes of frames on their way to the broker at once (see ByteBudget).
const PUBLISH_BUDGET_BYTES = 4 * 1024 * 1024;
// Droppable frames (answers to gateways' requests) that may wait for the budget; beyond, they are dropped.
export const DROPPABLE_QUEUE_MAX = 1000;

export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
  /**
   * An answer the gateway asks for again if it never comes: dropped (and counted) when
   * DROPPABLE_QUEUE_MAX frames already wait. Deployment Upgrades are never dropped: they are
   * bounded by the deployment's targets and share one frame.
   */
  droppable?: boolean;
}

/**
 * Publishes already-encoded frames as they are. Nest's ClientMqtt would JSON.stringify them,
 * so the API keeps its own publishing connection next to the persistent subscriber session.
 */
@Injectable()
export class FramePublisher implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(FramePublisher.name);
  private client!: MqttClient;
  private readonly budget = new ByteBudget(PUBLISH_BUDGET_BYTES);
  private readonly inFlight = new FramesInFlight();
  private readonly dropped: Counter;

  constructor(
    private readonly config: AppConfigService,
    metrics: MetricsService,
  ) {
    this.dropped = metrics.counter({
      name: 'um_outgoing_frames_dropped_total',
      help: 'Answers to gateways dropped because too many frames waited for the broker',
    });
    const waiting: Gauge = metrics.gauge({
      name: 'um_outgoing_frames_waiting',
      help: 'Frames waiting to be handed to the broker',
      collect: () => waiting.set(this.budget.waiting),
    });
  }

  onModuleInit(): void {
    const clientId = `${this.config.get('MQTT_CLIENT_ID')}-pub-${randomBytes(4).toString('hex')}`;
    const { url, ...options } = buildMqttClientOptions(mqttEnvFrom(this.config), clientId, false);
    this.client = connect(url, options);
    storePublishesUncopied(this.client);
    this.client.on('connect', () => this.logger.log(`Publisher connected to ${url}`));
    this.client.on('error', (err) => this.logger.warn(`Publisher connection error: ${err.message}`));
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** False when a droppable frame was dropped. */
  async publish(topic: string, frame: Buffer, options: PublishOptions = {}): Promise<boolean> {
    if (options.droppable && this.budget.waiting >= DROPPABLE_QUEUE_MAX) {
      this.dropped.inc();
      return false;
    }
    const publish = this.inFlight.enter(frame);
    try {
      const release = await this.budget.acquire(publish.bytes);
      try {
        await this.client.publishAsync(topic, frame, { qos: options.qos ?? 1, retain: options.retain ?? false });
        return true;
      } finally {
        release();
      }
    } finally {
      publish.leave();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client?.endAsync();
  }
}
