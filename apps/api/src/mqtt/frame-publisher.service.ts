import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';
import { AppConfigService } from '../config/app-config.service';
import { ByteBudget } from './byte-budget';
import { buildMqttClientOptions, mqttEnvFrom } from './mqtt-client-options';

// Bytes of frames on their way to the broker at once (see ByteBudget).
const PUBLISH_BUDGET_BYTES = 4 * 1024 * 1024;

export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
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

  constructor(private readonly config: AppConfigService) {}

  onModuleInit(): void {
    const clientId = `${this.config.get('MQTT_CLIENT_ID')}-pub-${randomBytes(4).toString('hex')}`;
    const { url, ...options } = buildMqttClientOptions(mqttEnvFrom(this.config), clientId, false);
    this.client = connect(url, options);
    this.client.on('connect', () => this.logger.log(`Publisher connected to ${url}`));
    this.client.on('error', (err) => this.logger.warn(`Publisher connection error: ${err.message}`));
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async publish(topic: string, frame: Buffer, options: PublishOptions = {}): Promise<void> {
    const release = await this.budget.acquire(frame.length);
    try {
      await this.client.publishAsync(topic, frame, { qos: options.qos ?? 1, retain: options.retain ?? false });
    } finally {
      release();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client?.endAsync();
  }
}
