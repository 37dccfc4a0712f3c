import { encodeFrame, toCloudTopic, ToCloudMessageType, versionRequestPayload } from '@upgrade-manager/frame-codec';
import { connectAsync, type MqttClient } from 'mqtt';
import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { BuiltApi, faultRunDir, sleep } from './built-api';

const GATEWAYS = 50;
const IMAGE_BYTES = 64 * 1024 * 1024;
// FAULTS_FLOOD_S shortens it for a quick local run (README, Security and reliability).
const FLOOD_MS = Number(process.env['FAULTS_FLOOD_S'] ?? 60) * 1000;
const REQUEST_INTERVAL_MS = 500;
// The target (README, Security and reliability); the figure is printed.
const PEAK_RSS_CEILING_BYTES = 400 * 1024 * 1024;

async function metrics(baseUrl: string): Promise<(name: string, labels?: string) => number> {
  const lines = (await (await fetch(`${baseUrl}/metrics`)).text()).split('\n');
  return (name, labels = '') => {
    const line = lines.find((candidate) => candidate.startsWith(`${name}${labels} `));
    return line ? Number(line.split(' ')[1]) : 0;
  };
}

async function metric(baseUrl: string, name: string, labels = ''): Promise<number> {
  return (await metrics(baseUrl))(name, labels);
}

/** Where the API's memory is, as it reports it: V8 heap, Buffers outside it, the image cache, frames waiting. */
async function memoryBreakdown(baseUrl: string): Promise<string> {
  const read = await metrics(baseUrl);
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
  return (
    `heap ${mb(read('um_nodejs_heap_size_used_bytes'))}, external ${mb(read('um_nodejs_external_memory_bytes'))}, ` +
    `image cache ${mb(read('um_image_cache_bytes'))}, ${read('um_outgoing_frames_waiting')} frames waiting`
  );
}

// SPEC §6 "Hostile input": gateways alternating Request Upgrade for two large versions must not
// make the API hold a copy per request (the image cache is bounded, one download per gateway is
// on its way at a time, requests beyond GATEWAY_REQUESTS_PER_MINUTE are dropped).
describe('request flood: 50 gateways alternate Request Upgrade for two 64 MiB versions', () => {
  const suffix = randomBytes(4).toString('hex');
  const mongoUrl = new URL(process.env['MONGO_URL'] ?? 'mongodb://127.0.0.1:27017/upgrade-manager');
  mongoUrl.pathname = `/um-fault-flood-${suffix}`;
  const api = new BuiltApi(
    {
      AUTH_MODE: 'none',
      MONGO_URL: mongoUrl.toString(),
      MQTT_CLIENT_ID: `um-fault-flood-${suffix}`,
      WEB_DIST_DIR: `/nonexistent-${suffix}`,
      RESOURCES_DIR: mkdtempSync(join(faultRunDir(), 'resources-')),
      LOG_LEVEL: 'warn',
    },
    join(faultRunDir(), `flood-${suffix}.log`),
  );
  const gateways: MqttClient[] = [];

  beforeAll(async () => {
    await api.start();
  });

  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.endAsync(true).catch(() => undefined)));
    await api.stop();
    // Two 64 MiB images in the shared database: not left behind.
    const connection = await mongoose.createConnection(mongoUrl.toString()).asPromise();
    await connection.dropDatabase().finally(() => connection.close());
  });

  it(
    `keeps the API's peak RSS bounded, and prints it`,
    async () => {
      const major = `${Date.now() % 1_000_000}`;
      const versions = [`${major}.1`, `${major}.2`];
      for (const version of versions) {
        const form = new FormData();
        form.append('version', version);
        form.append('file', new Blob([randomBytes(IMAGE_BYTES)]), 'image.bin');
        const response = await fetch(`${api.baseUrl}/api/versions`, { method: 'POST', body: form });
        expect(response.status).toBe(201);
      }
      // The peak of the flood, not of the uploads before it.
      const peakReset = api.resetPeak();
      const before = api.memory();

      for (let index = 0; index < GATEWAYS; index += 1) {
        gateways.push(
          await connectAsync(process.env['MQTT_URL'] ?? 'mqtt://127.0.0.1:1883', {
            clientId: `gw-flood-${suffix}-${index}`,
            username: process.env['MQTT_GATEWAY_USERNAME'] ?? 'gateway',
            password: process.env['MQTT_GATEWAY_PASSWORD'],
            clean: true,
            reconnectPeriod: 0,
          }),
        );
      }
      const frames = versions.map((version) => encodeFrame(versionRequestPayload(version)));
      let sent = 0;
      let peakRss = before.rss;
      const atStart = await memoryBreakdown(api.baseUrl);
      let atPeak = atStart;
      const start = Date.now();
      const end = start + FLOOD_MS;
      // The highest sampled RSS of each 10 s of the flood: where in it the memory goes.
      const byTenSeconds: number[] = [];
      for (let round = 0; Date.now() < end; round += 1) {
        await Promise.all(
          gateways.map((gateway, index) =>
            gateway.publishAsync(toCloudTopic(ToCloudMessageType.RequestUpgrade, `gw-flood-${suffix}-${index}`), frames[(round + index) % 2], { qos: 0 }),
          ),
        );
        sent += gateways.length;
        const { rss } = api.memory();
        const window = Math.floor((Date.now() - start) / 10_000);
        byTenSeconds[window] = Math.max(byTenSeconds[window] ?? 0, rss);
        if (rss > peakRss) {
          peakRss = rss;
          atPeak = await memoryBreakdown(api.baseUrl);
        }
        await sleep(REQUEST_INTERVAL_MS);
      }
      await sleep(2_000);
      const { peak } = api.memory();
      const refused = await metric(api.baseUrl, 'um_gateway_requests_refused_total', '{reason="rate-limited"}');
      const dropped = await metric(api.baseUrl, 'um_outgoing_frames_dropped_total');
      const cache = await metric(api.baseUrl, 'um_image_cache_bytes');
      const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
      process.stdout.write(
        `\nRequest flood: ${GATEWAYS} gateways x 2 versions of 64 MiB, ${sent} Request Upgrade in ${FLOOD_MS / 1000} s: ` +
          `API RSS ${mb(before.rss)} before (${atStart}), peak ${mb(Math.max(peakReset ? peak : 0, peakRss))} during it (${peakReset ? 'VmHWM' : 'sampled every 0.5 s'}), ` +
          `${refused} refused by the per-gateway rate limit, ${dropped} answers dropped, image cache ${mb(cache)}; ` +
          `at the highest sampled RSS (${mb(peakRss)}): ${atPeak}; highest RSS of each 10 s: ${byTenSeconds.map(mb).join(', ')}\n`,
      );
      expect(Math.max(peakReset ? peak : 0, peakRss)).toBeLessThan(PEAK_RSS_CEILING_BYTES);
    },
    FLOOD_MS + 180_000,
  );
});
