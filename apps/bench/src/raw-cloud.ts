// The raw-broker baseline's cloud side, in its own process like the API, so that it does not share
// an event loop with the simulated gateways. Driven over IPC by the benchmark (raw-cloud-process.ts).
import { readFileSync } from 'node:fs';
import { connectAsync, type MqttClient } from 'mqtt';
import { decodeFrame, encodeFrame, parseStatusPayload, parseTopic, ToCloudMessageType } from '@upgrade-manager/frame-codec';
import { forEachConcurrently } from '@upgrade-manager/gateway-client';
import type { RawCloudReply, RawCloudRequest } from './lib/raw-cloud.protocol';

const PROGRESS_INTERVAL_MS = 1000;
const RECEIVE_MAXIMUM = 65_535;
const PUBLISH_WINDOW = 64;

let client: MqttClient | undefined;
let gatewayPrefix = '';
let onStatus: ((gatewayId: string, payload: Buffer) => void) | undefined;
let publish: (() => Promise<{ error: unknown }[]>) | undefined;
let progressTimer: NodeJS.Timeout | undefined;

function reply(message: RawCloudReply): void {
  process.send?.(message);
}

function mqtt(): MqttClient {
  if (!client) throw new Error('not connected');
  return client;
}

/** Counts up to `expected`, reporting progress every second and `done` once. */
function counter(expected: number): () => void {
  let count = 0;
  clearInterval(progressTimer);
  progressTimer = setInterval(() => reply({ type: 'progress', count }), PROGRESS_INTERVAL_MS);
  return () => {
    count++;
    if (count === expected) {
      clearInterval(progressTimer);
      reply({ type: 'done', count });
    }
  };
}

/** Publishes `payload` (QoS 1) on every topic when called. */
function publisher(topics: readonly string[], payload: Buffer): () => Promise<{ error: unknown }[]> {
  const target = mqtt();
  // mqtt.js 5 deep-copies every QoS 1 payload into its outgoing store until the PUBACK: a
  // bounded window keeps that to PUBLISH_WINDOW copies instead of one per gateway.
  return () => forEachConcurrently(topics, PUBLISH_WINDOW, (topic) => target.publishAsync(topic, payload, { qos: 1 }).then(() => undefined));
}

/** Counts the first accepted Status reply of each gateway from now on, and prepares publishing `payload` on `topics`. */
async function prepareFanOut(topics: readonly string[], payload: Buffer, expectedReplies: number, accepts: (statusFrame: Buffer) => boolean): Promise<void> {
  await mqtt().unsubscribeAsync('TOCLOUD/#');
  const replied = new Set<string>();
  const tick = counter(expectedReplies);
  onStatus = (gatewayId, statusFrame) => {
    if (replied.has(gatewayId) || !accepts(statusFrame)) return;
    replied.add(gatewayId);
    tick();
  };
  await mqtt().subscribeAsync('TOCLOUD/STATUS/+', { qos: 1 });
  publish = publisher(topics, payload);
}

function handleMessage(topic: string, payload: Buffer): void {
  const parsed = parseTopic(topic);
  // The broker is shared: other tests' gateways publish too.
  if (parsed?.direction !== 'toCloud' || parsed.type !== ToCloudMessageType.Status || !parsed.gatewayId.startsWith(gatewayPrefix)) return;
  onStatus?.(parsed.gatewayId, payload);
}

async function handle(request: RawCloudRequest): Promise<void> {
  switch (request.type) {
    case 'connect':
      gatewayPrefix = request.gatewayPrefix;
      client = await connectAsync(request.url, {
        clientId: request.clientId,
        clean: true,
        username: request.username,
        password: request.password,
        // MQTT 5 with a large Receive Maximum: the broker may keep every message in flight to this
        // client instead of queueing (and, beyond max_queued_messages, dropping) them.
        protocolVersion: 5,
        properties: { receiveMaximum: RECEIVE_MAXIMUM },
        reconnectPeriod: 0,
        connectTimeout: 10_000,
      });
      client.on('message', handleMessage);
      reply({ type: 'ready' });
      return;
    case 'countStatuses': {
      const tick = counter(request.expected);
      onStatus = () => tick();
      await mqtt().subscribeAsync('TOCLOUD/#', { qos: 1 });
      reply({ type: 'ready' });
      return;
    }
    case 'prepareRollout': {
      const { version } = request;
      await prepareFanOut(request.topics, encodeFrame(readFileSync(request.imageFile)), request.expectedReplies, (frame) => {
        try {
          return parseStatusPayload(decodeFrame(frame).payload).version === version;
        } catch {
          return false;
        }
      });
      reply({ type: 'ready' });
      return;
    }
    case 'prepareBare':
      await prepareFanOut(request.topics, readFileSync(request.payloadFile), request.expectedReplies, () => true);
      reply({ type: 'ready' });
      return;
    case 'go': {
      if (!publish) throw new Error('go before prepareRollout');
      const failures = await publish();
      if (failures.length > 0) throw new Error(`${failures.length} publishes failed: ${String(failures[0]?.error)}`);
      return;
    }
    case 'close':
      clearInterval(progressTimer);
      await client?.endAsync();
      process.disconnect?.();
      return;
  }
}

process.on('message', (request: RawCloudRequest) => {
  handle(request).catch((error: unknown) => reply({ type: 'error', message: error instanceof Error ? error.message : String(error) }));
});
// Never outlive the benchmark.
process.on('disconnect', () => process.exit(0));
