import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connectAsync, type MqttClient } from 'mqtt';
import { ToGatewayMessageType, toGatewayTopic } from '@upgrade-manager/frame-codec';
import type { BareFleet } from './bare-fleet';
import type { BenchEnv } from './bench-env';
import type { BenchFleet } from './bench-fleet';
import type { RawCloudProcess } from './raw-cloud-process';

export type RolloutMode = 'broadcast' | 'list';

export interface RawIngestResult {
  messages: number;
  seconds: number;
}

export interface RawRolloutResult {
  /** From the publish request until the cloud side has every gateway's reply. */
  seconds: number;
  /** From the publish request until the last gateway had the image. */
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

/**
 * The broker alone: every gateway sends its K Status frames and one plain subscriber of TOCLOUD/#
 * (the API's subscription, in its own process) receives them. Must run while no API of this run
 * is subscribed.
 */
export async function measureRawIngest(fleet: BenchFleet, cloud: RawCloudProcess, versions: readonly string[], timeoutMs: number): Promise<RawIngestResult> {
  const messages = fleet.size * versions.length;
  cloud.send({ type: 'countStatuses', expected: messages });
  await cloud.next('ready', timeoutMs, 'raw ingest: subscribe');
  const started = performance.now();
  const sent = fleet.sendStatuses(versions);
  const done = await cloud.next('done', timeoutMs, 'raw ingest', () => `${cloud.progress}/${messages} received`);
  await sent;
  return { messages, seconds: (done - started) / 1000 };
}

/** The Upgrade topic of a broadcast, or each gateway's own. */
function upgradeTopics(mode: RolloutMode, gatewayIds: readonly string[]): string[] {
  return mode === 'broadcast' ? [toGatewayTopic(ToGatewayMessageType.Upgrade)] : gatewayIds.map((id) => toGatewayTopic(ToGatewayMessageType.Upgrade, id));
}

/** Lets the prepared cloud side publish; performance.now() when it was told to and when it reported every reply. */
async function timedGo(cloud: RawCloudProcess, what: string, timeoutMs: number, progress: () => string): Promise<{ started: number; done: number }> {
  const started = performance.now();
  cloud.send({ type: 'go' });
  return { started, done: await cloud.next('done', timeoutMs, what, progress) };
}

/**
 * The broker alone: the cloud side publishes the image, framed once, on the broadcast topic or on
 * each gateway's own topic, and waits for every gateway's Status reply.
 */
export async function measureRawRollout(
  fleet: BenchFleet,
  cloud: RawCloudProcess,
  mode: RolloutMode,
  version: string,
  image: Buffer,
  workDir: string,
  timeoutMs: number,
): Promise<RawRolloutResult> {
  const imageFile = join(workDir, `raw-${version}.bin`);
  writeFileSync(imageFile, image);
  cloud.send({ type: 'prepareRollout', imageFile, version, topics: upgradeTopics(mode, fleet.ids), expectedReplies: fleet.size });
  await cloud.next('ready', timeoutMs, `raw rollout (${mode}): prepare`);
  const { delivered } = fleet.expectImage(version, image);
  const { started, done } = await timedGo(
    cloud,
    `raw rollout (${mode})`,
    timeoutMs,
    () => `${delivered.value} delivered, ${cloud.progress} replies of ${fleet.size}`,
  );
  const lastReceipt = fleet.lastReceiptAt(version) ?? done;
  return { seconds: (done - started) / 1000, deliveredSeconds: (lastReceipt - started) / 1000 };
}

/**
 * The bare fan-out: the cloud side publishes the image's bytes as they are (no frame) on the
 * broadcast topic or on each bare subscriber's own topic; done when every subscriber's reply is in.
 */
export async function measureBareRollout(
  bare: BareFleet,
  cloud: RawCloudProcess,
  mode: RolloutMode,
  image: Buffer,
  workDir: string,
  timeoutMs: number,
): Promise<RawRolloutResult> {
  const payloadFile = join(workDir, `bare-${mode}.bin`);
  writeFileSync(payloadFile, image);
  cloud.send({ type: 'prepareBare', payloadFile, topics: upgradeTopics(mode, bare.ids), expectedReplies: bare.size });
  await cloud.next('ready', timeoutMs, `bare fan-out (${mode}): prepare`);
  const { delivered, lastReceiptAt } = bare.expect(image.byteLength);
  const { started, done } = await timedGo(
    cloud,
    `bare fan-out (${mode})`,
    timeoutMs,
    () => `${delivered.value} delivered, ${cloud.progress} replies of ${bare.size}`,
  );
  return { seconds: (done - started) / 1000, deliveredSeconds: ((lastReceiptAt() ?? done) - started) / 1000 };
}
