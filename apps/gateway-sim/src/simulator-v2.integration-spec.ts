import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { decodeFrame, encodeFrame, parseStatusPayload } from '@upgrade-manager/frame-codec';
import {
  chunkCountOf,
  decodeChunkRequest,
  decodeProgress,
  encodeChunk,
  encodeOffer,
  generateSigningKey,
  keyIdOf,
  signManifest,
  trustedKeyLine,
  type Progress,
} from '@upgrade-manager/protocol-v2';
import { resolveSimOptions } from './sim-options';
import { INSTALLED_IMAGE } from './simulated-installer';
import { Simulator } from './simulator';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (is .env loaded?)`);
  return value;
}

/**
 * The simulator with --protocol 2 against a stand-in cloud on the real broker: the cloud offers a
 * signed image and answers chunk requests; the simulated gateway resumes after --exit-after-bytes.
 */
describe('gateway simulator, protocol 2, against the real broker', () => {
  const gatewayId = `sim-v2-${randomBytes(4).toString('hex')}`;
  const image = randomBytes(200 * 1024);
  const sha256 = createHash('sha256').update(image).digest('hex');
  const chunkSize = 4096;
  const key = generateSigningKey();
  let dir: string;
  let cloud: MqttClient;
  const progress: Progress[] = [];
  const statuses: ReturnType<typeof parseStatusPayload>[] = [];
  // Stopped in afterAll whatever happened: a failed run must not leave connections or timers behind.
  const started: Simulator[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'um-sim-v2-'));
    writeFileSync(join(dir, 'trusted.keys'), `${trustedKeyLine(key)}\n`);
    cloud = await connectAsync(env('MQTT_URL'), {
      clientId: `${gatewayId}-cloud`,
      clean: true,
      username: env('MQTT_USERNAME'),
      password: env('MQTT_PASSWORD'),
      reconnectPeriod: 0,
    });
    cloud.on('message', (topic, bytes) => {
      const payload = decodeFrame(bytes).payload;
      if (topic === `TOCLOUD/UPGRADE_PROGRESS/${gatewayId}`) progress.push(decodeProgress(payload));
      if (topic === `TOCLOUD/STATUS/${gatewayId}`) statuses.push(parseStatusPayload(payload));
      if (topic === `TOCLOUD/REQUEST_CHUNKS/${gatewayId}`) {
        for (const { first, count } of decodeChunkRequest(payload).ranges) {
          for (let index = first; index < first + count; index++) {
            const data = image.subarray(index * chunkSize, (index + 1) * chunkSize);
            void cloud.publishAsync(`TOGATEWAY/UPGRADE_CHUNK/${gatewayId}`, encodeFrame(encodeChunk({ sha256, index, data })), { qos: 0 });
          }
        }
      }
    });
    await cloud.subscribeAsync(`TOCLOUD/+/${gatewayId}`, { qos: 1 });
  });

  afterAll(async () => {
    await Promise.all(started.map((sim) => sim.stop()));
    await cloud?.endAsync(true);
    rmSync(dir, { recursive: true, force: true });
  });

  function simulator(extra: Record<string, string>, onExit?: () => void): Simulator {
    const flags = { insecure: true, clean: true, protocol: '2', stateDir: dir, trustedKey: join(dir, 'trusted.keys'), ...extra };
    const options = resolveSimOptions(gatewayId, '2', flags, process.env, process.cwd());
    const sim = new Simulator({ ...options, url: env('MQTT_URL') }, { stdout: { write: () => true, isTTY: false }, onExitAfterBytes: onExit });
    started.push(sim);
    return sim;
  }

  it('announces protocol 2, downloads a signed image, exits mid-way, resumes and installs it byte-exact', async () => {
    let exited!: () => void;
    const exitedPromise = new Promise<void>((resolve) => (exited = resolve));
    const first = simulator({ exitAfterBytes: String(60 * 1024) }, () => exited());
    await first.start();
    await eventually(() => statuses.some((status) => status.protocol === 2), 'the first Status with protocol 2');

    const manifest = { version: '9100.1', size: image.length, sha256, keyId: keyIdOf(key) };
    const offer = {
      ...manifest,
      deploymentId: 'dep-sim',
      chunkSize,
      chunkCount: chunkCountOf(image.length, chunkSize),
      signature: signManifest(manifest, key),
      shared: false,
    };
    await cloud.publishAsync(`TOGATEWAY/UPGRADE_OFFER/${gatewayId}`, encodeFrame(encodeOffer(offer)), { qos: 1 });
    await exitedPromise;
    const before = first.agent(gatewayId)?.stats.receivedBytes ?? 0;
    await first.stop();

    const second = simulator({});
    await second.start();
    await eventually(() => statuses.some((status) => status.version === '9100.1' && status.protocol === 2), 'a Status with the installed version');
    const after = second.agent(gatewayId)?.stats.receivedBytes ?? 0;
    await second.stop();

    expect(progress.map((p) => p.state)).toContain('succeeded');
    expect(readFileSync(join(dir, gatewayId, INSTALLED_IMAGE)).equals(image)).toBe(true);
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(image.length / 2);
    expect(before + after).toBeLessThan(1.2 * image.length);
  });
});

async function eventually(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
