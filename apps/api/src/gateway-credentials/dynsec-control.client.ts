import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { AppConfigService } from '../config/app-config.service';
import { buildMqttClientOptions, mqttEnvFrom } from '../mqtt/mqtt-client-options';

export const DYNSEC_CONTROL_TOPIC = '$CONTROL/dynamic-security/v1';
export const DYNSEC_RESPONSE_TOPIC = `${DYNSEC_CONTROL_TOPIC}/response`;
const ANSWER_TIMEOUT_MS = 10_000;

export type DynsecCommand = { command: string } & Record<string, unknown>;

export interface DynsecResponse {
  command: string;
  error?: string;
  data?: unknown;
  correlationData?: string;
}

interface PendingRequest {
  resolve(responses: DynsecResponse[]): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The responses to request `requestId` in command order, from one message on the response topic;
 * null when the message answers another request (every API instance hears every answer).
 */
export function responsesFor(requestId: string, payload: Buffer): DynsecResponse[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return null;
  }
  const responses = typeof parsed === 'object' && parsed !== null ? (parsed as { responses?: unknown }).responses : undefined;
  if (!Array.isArray(responses) || responses.length === 0) return null;
  const indexed = (responses as DynsecResponse[]).map((response) => {
    const [id, index] = (response.correlationData ?? '').split(':');
    return { response, id, index: Number(index) };
  });
  if (indexed.some((entry) => entry.id !== requestId)) return null;
  return indexed.sort((a, b) => a.index - b.index).map((entry) => entry.response);
}

function unavailable(reason: string): DomainError {
  return new DomainError(
    DomainErrorCode.UNAVAILABLE,
    `The MQTT broker did not take the account change (${reason}). It needs Mosquitto's dynamic-security plugin and ` +
      `the API account's right to ${DYNSEC_CONTROL_TOPIC} (config/mosquitto).`,
  );
}

/**
 * Sends commands to Mosquitto's dynamic-security plugin over its own MQTT connection (opened on
 * first use) and waits for the answers, matched by correlation data.
 */
@Injectable()
export class DynsecControlClient implements OnApplicationShutdown {
  private readonly logger = new Logger(DynsecControlClient.name);
  private readonly pending = new Map<string, PendingRequest>();
  private connecting: Promise<MqttClient> | null = null;
  private client: MqttClient | null = null;

  constructor(private readonly config: AppConfigService) {}

  /** Runs the commands in order; resolves with one response per command (errors included). */
  async execute(commands: DynsecCommand[]): Promise<DynsecResponse[]> {
    const client = await this.connection();
    const requestId = randomUUID();
    const tagged = commands.map((command, index) => ({ ...command, correlationData: `${requestId}:${index}` }));
    const answer = new Promise<DynsecResponse[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(unavailable(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s`));
      }, ANSWER_TIMEOUT_MS);
      this.pending.set(requestId, { resolve, reject, timer });
    });
    try {
      await client.publishAsync(DYNSEC_CONTROL_TOPIC, JSON.stringify({ commands: tagged }), { qos: 1 });
    } catch (error) {
      this.settle(requestId)?.reject(unavailable((error as Error).message));
    }
    return answer;
  }

  async onApplicationShutdown(): Promise<void> {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(unavailable('the API is shutting down'));
    await this.client?.endAsync(true);
  }

  private connection(): Promise<MqttClient> {
    this.connecting ??= this.open().catch((error: unknown) => {
      this.connecting = null;
      throw error;
    });
    return this.connecting;
  }

  private async open(): Promise<MqttClient> {
    const clientId = `${this.config.get('MQTT_CLIENT_ID')}-accounts-${randomBytes(4).toString('hex')}`;
    const { url, ...options } = buildMqttClientOptions(mqttEnvFrom(this.config), clientId, false);
    const client = connect(url, options);
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', (error) => this.logger.warn(`Account control connection: ${error.message}`));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`cannot connect to ${url}`)), ANSWER_TIMEOUT_MS);
        client.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      // mqtt.js subscribes again by itself after a reconnect.
      await client.subscribeAsync(DYNSEC_RESPONSE_TOPIC, { qos: 1 });
    } catch (error) {
      await client.endAsync(true);
      throw unavailable((error as Error).message);
    }
    this.client = client;
    return client;
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic !== DYNSEC_RESPONSE_TOPIC) return;
    for (const id of this.pending.keys()) {
      const responses = responsesFor(id, payload);
      if (responses) {
        this.settle(id)?.resolve(responses);
        return;
      }
    }
  }

  private settle(requestId: string): PendingRequest | undefined {
    const request = this.pending.get(requestId);
    if (request) {
      clearTimeout(request.timer);
      this.pending.delete(requestId);
    }
    return request;
  }
}
