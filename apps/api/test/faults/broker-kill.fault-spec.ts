import type { DeploymentCreatedDto, DeploymentDetailDto } from '@upgrade-manager/dto';
import { fleetGatewayIds, GatewayFleet } from '@upgrade-manager/gateway-client';
import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuiltApi, sleep } from './built-api';
import { OwnServices } from './own-services';

const GATEWAYS = 200;
const TIMEOUT_S = 30;

async function json<T>(response: Promise<Response>): Promise<{ status: number; body: T }> {
  const answer = await response;
  return { status: answer.status, body: (await answer.json()) as T };
}

// The broker dies (SIGKILL) right after a deployment to 200 gateways and comes back 3 s later:
// every target is decided exactly once, nothing stays pending past its time-out, and
// /api/health says the broker is down meanwhile.
describe('fault: the broker is SIGKILLed in the middle of a rollout to 200 gateways', () => {
  const services = new OwnServices();
  const suffix = randomBytes(4).toString('hex');
  const database = `um-fault-broker-${suffix}`;
  let api: BuiltApi;
  let fleet: GatewayFleet;

  beforeAll(async () => {
    await services.start();
    api = new BuiltApi(
      {
        ...services.env(database),
        AUTH_MODE: 'none',
        DEPLOYMENT_TIMEOUT_S: String(TIMEOUT_S),
        MQTT_CLIENT_ID: `um-fault-broker-${suffix}`,
        WEB_DIST_DIR: `/nonexistent-${suffix}`,
        RESOURCES_DIR: mkdtempSync(join(tmpdir(), 'um-fault-res-')),
        LOG_LEVEL: 'warn',
      },
      join(services.dataDir, 'api.log'),
    );
    await api.start();
  }, 180_000);

  afterAll(async () => {
    await fleet?.close();
    await api?.stop();
    await services.stop();
  });

  it('decides every target exactly once and tells the truth about its health', async () => {
    fleet = new GatewayFleet({
      gatewayIds: fleetGatewayIds(`gw-bk-${suffix}`, GATEWAYS),
      client: {
        url: services.env()['MQTT_URL'],
        companyId: 'fault',
        username: process.env['MQTT_GATEWAY_USERNAME'] ?? 'gateway',
        password: process.env['MQTT_GATEWAY_PASSWORD'],
        clean: false,
        reconnectPeriod: 500,
      },
    });
    // A field gateway installs what it gets and reports its new version.
    for (const client of fleet.clients) client.onUpgrade((content) => void client.sendStatus({ version: content.toString('utf8') }).catch(() => undefined));
    expect((await fleet.start()).failed).toEqual([]);
    await Promise.all(fleet.clients.map((client) => client.sendStatus({ version: '0.5' })));
    const version = '1.1';
    const form = new FormData();
    form.append('version', version);
    form.append('file', new Blob([version]), 'image.bin');
    expect((await fetch(`${api.baseUrl}/api/versions`, { method: 'POST', body: form })).status).toBe(201);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await json<{ total: number }>(fetch(`${api.baseUrl}/api/gateways?pageSize=1`))).body.total < GATEWAYS) await sleep(200);

    const created = await json<DeploymentCreatedDto>(
      fetch(`${api.baseUrl}/api/deployments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ version, all: true }),
      }),
    );
    expect(created.status).toBe(201);
    services.kill('mosquitto');
    await sleep(1_500);
    const duringOutage = await json<{ mqtt: string }>(fetch(`${api.baseUrl}/api/health`));
    await sleep(1_500);
    await services.start();

    expect(duringOutage.status).toBe(503);
    expect(duringOutage.body.mqtt).toBe('down');

    // Decided by a Status or by the time-out: nothing pending after it.
    let detail: DeploymentDetailDto | undefined;
    const decidedBy = Date.now() + (TIMEOUT_S + 60) * 1000;
    while (Date.now() < decidedBy) {
      detail = (await json<DeploymentDetailDto>(fetch(`${api.baseUrl}/api/deployments/${created.body.id}`))).body;
      if (detail.targets.every((target) => target.status !== 'pending')) break;
      await sleep(1_000);
    }
    const statuses = detail?.targets.map((target) => target.status) ?? [];
    expect(statuses).toHaveLength(GATEWAYS);
    expect(statuses.filter((status) => status === 'pending')).toEqual([]);

    // Exactly once: one confirmed-or-failed event per gateway.
    const connection = await mongoose.createConnection(services.env(database)['MONGO_URL']).asPromise();
    try {
      const events = await connection
        .collection('events')
        .find({ type: { $in: ['upgrade.confirmed', 'upgrade.failed'] }, 'details.deploymentId': created.body.id })
        .toArray();
      const perGateway = new Map<string, number>();
      for (const event of events) perGateway.set(String(event['gatewayId']), (perGateway.get(String(event['gatewayId'])) ?? 0) + 1);
      expect([...perGateway.values()].filter((count) => count !== 1)).toEqual([]);
      expect(perGateway.size).toBe(GATEWAYS);
    } finally {
      await connection.close();
    }
    expect((await fetch(`${api.baseUrl}/api/health`)).status).toBe(200);
    const confirmed = statuses.filter((status) => status === 'confirmed').length;
    process.stdout.write(
      `\nBroker SIGKILL mid-rollout: ${GATEWAYS} targets, ${confirmed} confirmed, ${GATEWAYS - confirmed} failed by the time-out, none pending, each decided once\n`,
    );
  });
});
