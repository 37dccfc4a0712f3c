import { encodeFrame, statusPayload, toCloudTopic, ToCloudMessageType } from '@upgrade-manager/frame-codec';
import { connectAsync, type MqttClient } from 'mqtt';
import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { BuiltApi, faultRunDir, sleep } from './built-api';
import { OwnServices } from './own-services';

const GATEWAYS = 200;
const OUTAGE_MS = 15_000;

interface Health {
  status: string;
  mongo: string;
  mqtt: string;
}

async function health(baseUrl: string): Promise<{ code: number; body: Health | null }> {
  try {
    const response = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(5_000) });
    return { code: response.status, body: (await response.json()) as Health };
  } catch {
    return { code: 0, body: null };
  }
}

// The database stops (SIGKILL) for 15 s while 200 gateways report their Status: every Status the
// broker acknowledged ends up in the database, and /api/health says what is down meanwhile.
describe('fault: the database stops for 15 s during status ingest', () => {
  const services = new OwnServices();
  const suffix = randomBytes(4).toString('hex');
  let api: BuiltApi;
  const gateways: MqttClient[] = [];

  beforeAll(async () => {
    await services.start();
    api = new BuiltApi(
      {
        ...services.env(`um-fault-db-${suffix}`),
        AUTH_MODE: 'none',
        MQTT_CLIENT_ID: `um-fault-db-${suffix}`,
        WEB_DIST_DIR: `/nonexistent-${suffix}`,
        RESOURCES_DIR: mkdtempSync(join(faultRunDir(), 'resources-')),
        LOG_LEVEL: 'warn',
      },
      join(services.dataDir, 'api.log'),
    );
    await api.start();
  }, 180_000);

  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.endAsync(true).catch(() => undefined)));
    await api?.stop();
    await services.stop();
  });

  it('keeps every acknowledged Status and tells the truth about its health', async () => {
    const env = services.env();
    for (let index = 0; index < GATEWAYS; index += 1) {
      gateways.push(
        await connectAsync(env['MQTT_URL'], {
          clientId: `gw-db-${suffix}-${index}`,
          username: process.env['MQTT_GATEWAY_USERNAME'] ?? 'gateway',
          password: process.env['MQTT_GATEWAY_PASSWORD'],
          clean: true,
          reconnectPeriod: 1000,
        }),
      );
    }
    // The latest version each gateway's acknowledged Status reported.
    const acknowledged = new Map<string, string>();
    const sendRound = async (round: number) => {
      const version = `0.${round}`;
      await Promise.all(
        gateways.map(async (gateway, index) => {
          const gatewayId = `gw-db-${suffix}-${index}`;
          await gateway.publishAsync(toCloudTopic(ToCloudMessageType.Status, gatewayId), encodeFrame(statusPayload({ companyId: 'fault', version })), {
            qos: 1,
          });
          acknowledged.set(gatewayId, version);
        }),
      );
    };

    await sendRound(1);
    services.kill('database');
    const outageEnds = Date.now() + OUTAGE_MS;
    const duringOutage: Array<{ code: number; body: Health | null }> = [];
    for (let round = 2; Date.now() < outageEnds; round += 1) {
      await sendRound(round);
      duringOutage.push(await health(api.baseUrl));
      await sleep(1_000);
    }
    // The last Statuses were acknowledged while the database was down: only the API holds them.
    const lastRound = [...acknowledged.values()][0];
    await services.start();

    // During the outage: 503, naming the database.
    expect(duringOutage.some(({ code, body }) => code === 503 && body?.mongo === 'down' && body.mqtt === 'up')).toBe(true);
    expect(duringOutage.every(({ code }) => code !== 200)).toBe(true);

    // After it: 200, and every gateway with the version of its last acknowledged Status.
    const deadline = Date.now() + 120_000;
    let stored = new Map<string, string>();
    const connection = await mongoose.createConnection(services.env(`um-fault-db-${suffix}`)['MONGO_URL']).asPromise();
    try {
      while (Date.now() < deadline) {
        const documents = await connection
          .collection<{ _id: string; version: string }>('gateways')
          .find({}, { projection: { version: 1 } })
          .toArray();
        stored = new Map(documents.map((document) => [document._id, document.version]));
        if ([...acknowledged].every(([gatewayId, version]) => stored.get(gatewayId) === version)) break;
        await sleep(1_000);
      }
    } finally {
      await connection.close();
    }
    const missing = [...acknowledged].filter(([gatewayId, version]) => stored.get(gatewayId) !== version);
    expect(missing).toEqual([]);
    expect([...acknowledged.values()].every((version) => version === lastRound)).toBe(true);
    expect((await health(api.baseUrl)).code).toBe(200);
    process.stdout.write(
      `\nDatabase outage: ${GATEWAYS} gateways, ${duringOutage.length} health checks during ${OUTAGE_MS / 1000} s (503, mongo down), every acknowledged Status stored after it\n`,
    );
  });
});
