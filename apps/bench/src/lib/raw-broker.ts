import { performance } from 'node:perf_hooks';
import { connectAsync, type MqttClient } from 'mqtt';
import {
  ToCloudMessageType,
  ToGatewayMessageType,
  decodeFrame,
  encodeFrame,
  parseStatusPayload,
  parseTopic,
  toGatewayTopic,
} from '@upgrade-manager/frame-codec';
import type { BenchEnv } from './bench-env';
import type { BenchFleet } from './bench-fleet';
import { Countdown, withTimeout } from './waiting';

export type RolloutMode = 'broadcast' | 'list';

export interface RawIngestResult {
  messages: number;
  seconds: number;
}

export interface RawRolloutResult {
  /** From the first publish until the publisher has every gateway's reply. */
  seconds: number;
  /** From the first publish until the last gateway had the image. */
  deliveredSeconds: number;
}

/** A plain MQTT client with the API's account (the only one allowed to publish TOGATEWAY/#), clean session. */
export function connectCloud(env: BenchEnv, clientId: string): Promise<MqttClient> {
  return connectAsync(env.mqttUrl, {
    clientId,
    clean: true,
    username: env.cloudUsername,
    password: env.cloudPassword,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
}

function statusSender(topic: string, fleet: BenchFleet): string | null {
  const parsed = parseTopic(topic);
  if (parsed?.direction !== 'toCloud' || parsed.type !== ToCloudMessageType.Status) return null;
  return fleet.has(parsed.gatewayId) ? parsed.gatewayId : null;
}

/**
 * The broker alone: every gateway sends its K Status frames and one plain subscriber of TOCLOUD/#
 * (the API's subscription) receives them. Must run while no API of this run is subscribed.
 */
export async function measureRawIngest(fleet: BenchFleet, env: BenchEnv, versions: readonly string[], timeoutMs: number): Promise<RawIngestResult> {
  const subscriber = await connectCloud(env, `bench-raw-ingest-${fleet.runId}`);
  try {
    const messages = fleet.size * versions.length;
    const received = new Countdown(messages);
    // The broker is shared: other tests' gateways publish too.
    subscriber.on('message', (topic) => {
      if (statusSender(topic, fleet) !== null) received.tick();
    });
    await subscriber.subscribeAsync('TOCLOUD/#', { qos: 1 });
    const started = performance.now();
    const sent = fleet.sendStatuses(versions);
    const done = await withTimeout(received.done, timeoutMs, 'raw ingest', () => `${received.value}/${messages} received`);
    await sent;
    return { messages, seconds: (done - started) / 1000 };
  } finally {
    await subscriber.endAsync();
  }
}

/**
 * The broker alone: one publisher sends the image framed once, on the broadcast topic or on each
 * gateway's own topic, and waits for every gateway's Status reply.
 */
export async function measureRawRollout(
  fleet: BenchFleet,
  env: BenchEnv,
  mode: RolloutMode,
  version: string,
  image: Buffer,
  timeoutMs: number,
): Promise<RawRolloutResult> {
  const publisher = await connectCloud(env, `bench-raw-rollout-${fleet.runId}`);
  try {
    const replied = new Set<string>();
    const replies = new Countdown(fleet.size);
    publisher.on('message', (topic, payload) => {
      const gatewayId = statusSender(topic, fleet);
      if (gatewayId === null || replied.has(gatewayId)) return;
      try {
        if (parseStatusPayload(decodeFrame(payload).payload).version !== version) return;
      } catch {
        return;
      }
      replied.add(gatewayId);
      replies.tick();
    });
    await publisher.subscribeAsync('TOCLOUD/STATUS/+', { qos: 1 });
    const delivered = fleet.expectImage(version, image);
    const started = performance.now();
    const frame = encodeFrame(image);
    const published =
      mode === 'broadcast'
        ? publisher.publishAsync(toGatewayTopic(ToGatewayMessageType.Upgrade), frame, { qos: 1 })
        : Promise.all(fleet.ids.map((id) => publisher.publishAsync(toGatewayTopic(ToGatewayMessageType.Upgrade, id), frame, { qos: 1 })));
    const done = await withTimeout(replies.done, timeoutMs, `raw rollout (${mode})`, () => `${delivered.value} delivered, ${replies.value} replied of ${fleet.size}`);
    await published;
    const lastReceipt = fleet.lastReceiptAt(version) ?? done;
    return { seconds: (done - started) / 1000, deliveredSeconds: (lastReceipt - started) / 1000 };
  } finally {
    await publisher.endAsync();
  }
}
