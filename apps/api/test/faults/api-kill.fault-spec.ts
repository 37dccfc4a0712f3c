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

// The API dies (SIGKILL) as soon as it answers a deployment to 200 gateways: its targets are
// recorded, their Upgrades still being published. Started again, it decides every target exactly
// once (confirmed by a Status, or failed at its time-out): nothing stays pending.
describe('fault: the API is SIGKILLed between recording a rollout and publishing it', () => {
  const services = new OwnServices();
  const suffix = randomBytes(4).toString('hex');
  const database = `um-fault-apikill-${suffix}`;
  let api: BuiltApi;
  let fleet: GatewayFleet;

  beforeAll(async () => {
    await services.start();
    api = new BuiltApi(
      {
        ...services.env(database),
        AUTH_MODE: 'none',
        DEPLOYMENT_TIMEOUT_S: String(TIMEOUT_S),
        MQTT_CLIENT_ID: `um-fault-apikill-${suffix}`,
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

  it('decides every target exactly once after a restart', async () => {
    fleet = new GatewayFleet({
      gatewayIds: fleetGatewayIds(`gw-ak-${suffix}`, GATEWAYS),
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
    await api.stop('SIGKILL');
    await api.start();

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

    // Never twice: at most one confirmed-or-failed event per gateway. (A kill between a decision
    // and its event loses the event: the event log is written after the target, not with it.)
    const connection = await mongoose.createConnection(services.env(database)['MONGO_URL']).asPromise();
    try {
      const events = await connection
        .collection('events')
        .find({ type: { $in: ['upgrade.confirmed', 'upgrade.failed'] }, 'details.deploymentId': created.body.id })
        .toArray();
      const perGateway = new Map<string, number>();
      for (const event of events) perGateway.set(String(event['gatewayId']), (perGateway.get(String(event['gatewayId'])) ?? 0) + 1);
      expect([...perGateway.values()].filter((count) => count !== 1)).toEqual([]);
      process.stdout.write(`\nEvents of the decisions: ${perGateway.size} of ${GATEWAYS}\n`);
    } finally {
      await connection.close();
    }
    expect((await fetch(`${api.baseUrl}/api/health`)).status).toBe(200);
    const confirmed = statuses.filter((status) => status === 'confirmed').length;
    process.stdout.write(
      `\nAPI SIGKILL after recording a rollout: ${GATEWAYS} targets, ${confirmed} confirmed, ${GATEWAYS - confirmed} failed by the time-out, none pending, each decided once\n`,
    );
  });
});
