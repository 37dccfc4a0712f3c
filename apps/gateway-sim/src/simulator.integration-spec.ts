import { randomBytes } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { decodeFrame, encodeFrame, latestVersionPayload, parseStatusPayload, parseVersionRequestPayload } from '@upgrade-manager/frame-codec';
import { resolveSimOptions } from './sim-options';
import { Simulator } from './simulator';

const COUNT = 20;

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (is .env loaded?)`);
  return value;
}

/** Collects what the fleet sends to the cloud, per topic type and gateway. */
function recorder(cloud: MqttClient, prefix: string) {
  const seen: { type: string; gatewayId: string; payload: Buffer }[] = [];
  cloud.on('message', (topic, bytes) => {
    const [, type = '', gatewayId = ''] = topic.split('/');
    if (gatewayId.startsWith(`${prefix}-`)) seen.push({ type, gatewayId, payload: decodeFrame(bytes).payload });
  });
  return {
    seen,
    /** Resolves when every gateway of the fleet sent a `type` message matching `predicate`. */
    async everyGateway(type: string, predicate: (payload: Buffer) => boolean, timeoutMs = 20_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const gateways = new Set(seen.filter((entry) => entry.type === type && predicate(entry.payload)).map((entry) => entry.gatewayId));
        if (gateways.size === COUNT) return;
        if (Date.now() > deadline) throw new Error(`only ${gateways.size}/${COUNT} gateways sent ${type}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

describe('gateway simulator against the real broker', () => {
  const prefix = `sim-it-${randomBytes(4).toString('hex')}`;
  let cloud: MqttClient;
  let simulator: Simulator;
  const output: string[] = [];

  beforeAll(async () => {
    cloud = await connectAsync(env('MQTT_URL'), {
      clientId: `${prefix}-cloud`,
      clean: true,
      username: env('MQTT_USERNAME'),
      password: env('MQTT_PASSWORD'),
      reconnectPeriod: 0,
    });
    await cloud.subscribeAsync('TOCLOUD/#', { qos: 1 });
  });

  afterAll(async () => {
    await simulator?.stop();
    await cloud.endAsync();
  });

  it('a fleet starts up, requests a newer latest version and installs an Upgrade', async () => {
    const sent = recorder(cloud, prefix);
    const options = resolveSimOptions(prefix, '2', { count: String(COUNT), clean: true, concurrency: '5' }, process.env, process.cwd());
    simulator = new Simulator(options, { stdout: { write: (text: string) => output.push(text), isTTY: false } });

    const started = await simulator.start();
    expect(started).toEqual({ connected: COUNT, failed: [] });
    await sent.everyGateway('STATUS', (payload) => parseStatusPayload(payload).version === '0.5');
    await sent.everyGateway('REQUEST_LATEST_VERSION', (payload) => payload.toString() === ' ');
    await sent.everyGateway('REQUEST_AVAILABLE_VERSIONS', (payload) => payload.toString() === ' ');

    // Versions far above anything another test announces, so a running API cannot interfere.
    const ids = Array.from({ length: COUNT }, (_, i) => `${prefix}-${i + 1}`);
    await Promise.all(ids.map((id) => cloud.publishAsync(`TOGATEWAY/LATEST_VERSION/${id}`, encodeFrame(latestVersionPayload('9000.1')), { qos: 1 })));
    await sent.everyGateway('REQUEST_UPGRADE', (payload) => parseVersionRequestPayload(payload).version === '9000.1');

    const image = encodeFrame('9000.2\n');
    await Promise.all(ids.map((id) => cloud.publishAsync(`TOGATEWAY/UPGRADE/${id}`, image, { qos: 1 })));
    await sent.everyGateway('STATUS', (payload) => parseStatusPayload(payload).version === '9000.2');
    expect(simulator.gateway(`${prefix}-1`)?.state.version).toBe('9000.2');
    expect(simulator.stats.upgradesDone).toBe(COUNT);
    expect(simulator.progressLine()).toContain(`connected ${COUNT}/${COUNT}`);

    await simulator.stop();
    expect(simulator.fleet.connectedCount).toBe(0);
    expect(output.join('')).toContain(`Simulating ${COUNT} gateways`);
  });
});
