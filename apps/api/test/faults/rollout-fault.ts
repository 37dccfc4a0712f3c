import type { DeploymentCreatedDto, DeploymentDetailDto, RolloutDto, RolloutListDto } from '@upgrade-manager/dto';
import { fleetGatewayIds, GatewayFleet } from '@upgrade-manager/gateway-client';
import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { BuiltApi, faultRunDir, sleep } from './built-api';
import { OwnServices } from './own-services';

export async function json<T>(response: Promise<Response>): Promise<{ status: number; body: T }> {
  const answer = await response;
  return { status: answer.status, body: (await answer.json()) as T };
}

/** The built API on the suite's own services, in development mode, with a short deployment time-out. */
function faultApi(services: OwnServices, name: string, timeoutS: number): BuiltApi {
  return new BuiltApi(
    {
      ...services.env(name),
      AUTH_MODE: 'none',
      DEPLOYMENT_TIMEOUT_S: String(timeoutS),
      MQTT_CLIENT_ID: name,
      WEB_DIST_DIR: `/nonexistent-${name}`,
      RESOURCES_DIR: mkdtempSync(join(faultRunDir(), 'resources-')),
      LOG_LEVEL: 'warn',
    },
    join(services.dataDir, 'api.log'),
  );
}

/** What a rollout fault spec runs on: its own services, the built API on them, and the fleet its test starts. */
export interface RolloutFault {
  readonly services: OwnServices;
  readonly name: string;
  readonly api: BuiltApi;
  fleet?: InstallingFleet;
}

/** Starts the spec's own services and API before its tests, and stops them with its fleet after them. */
export function useRolloutFault(prefix: string, timeoutS: number): RolloutFault {
  const services = new OwnServices();
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  let api: BuiltApi | undefined;
  const fault: RolloutFault = {
    services,
    name,
    get api() {
      if (!api) throw new Error('The API starts in beforeAll');
      return api;
    },
  };

  beforeAll(async () => {
    await services.start();
    api = faultApi(services, name, timeoutS);
    await api.start();
  }, 180_000);

  afterAll(async () => {
    await fault.fleet?.close();
    await api?.stop();
    await services.stop();
  });
  return fault;
}

/**
 * Field gateways with persistent sessions that install what they get and report the new version.
 * `installed` and `reported` record which gateways got an Upgrade and which of their Statuses
 * the broker acknowledged (PUBACK).
 */
export class InstallingFleet {
  readonly fleet: GatewayFleet;
  readonly installed = new Set<string>();
  readonly reported = new Map<string, string>();

  constructor(services: OwnServices, prefix: string, size: number) {
    this.fleet = new GatewayFleet({
      gatewayIds: fleetGatewayIds(prefix, size),
      client: {
        url: services.env()['MQTT_URL'],
        companyId: 'fault',
        username: process.env['MQTT_GATEWAY_USERNAME'] ?? 'gateway',
        password: process.env['MQTT_GATEWAY_PASSWORD'],
        clean: false,
        reconnectPeriod: 500,
      },
    });
    for (const client of this.fleet.clients) {
      client.onUpgrade((content) => {
        const version = content.toString('utf8');
        this.installed.add(client.gatewayId);
        client.sendStatus({ version }).then(
          () => this.reported.set(client.gatewayId, version),
          () => undefined,
        );
      });
    }
  }

  /** Connects every gateway, reports `version` and waits until the API lists them all. */
  async start(api: BuiltApi, version: string): Promise<void> {
    const started = await this.fleet.start();
    if (started.failed.length > 0) throw new Error(`${started.failed.length} gateways did not connect`);
    await Promise.all(this.fleet.clients.map((client) => client.sendStatus({ version })));
    const deadline = Date.now() + 30_000;
    while ((await json<{ total: number }>(fetch(`${api.baseUrl}/api/gateways?pageSize=1`))).body.total < this.fleet.size) {
      if (Date.now() > deadline) throw new Error('the API did not register every gateway');
      await sleep(200);
    }
  }

  close(): Promise<void> {
    return this.fleet.close();
  }
}

/** Uploads a version whose image is its own name (what the fleet installs and reports) and deploys it to every gateway. */
export async function deployToAll(api: BuiltApi, version: string): Promise<string> {
  const form = new FormData();
  form.append('version', version);
  form.append('file', new Blob([version]), 'image.bin');
  const upload = await fetch(`${api.baseUrl}/api/versions`, { method: 'POST', body: form });
  if (upload.status !== 201) throw new Error(`upload: ${upload.status} ${await upload.text()}`);
  const created = await json<DeploymentCreatedDto>(
    fetch(`${api.baseUrl}/api/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ version, all: true }),
    }),
  );
  if (created.status !== 201) throw new Error(`deployment: ${created.status}`);
  return created.body.id;
}

/** The deployment's targets once none is pending (decided by a Status or by the time-out), or as they are at `withinMs`. */
export async function decidedTargets(api: BuiltApi, deploymentId: string, withinMs: number): Promise<DeploymentDetailDto['targets']> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const detail = (await json<DeploymentDetailDto>(fetch(`${api.baseUrl}/api/deployments/${deploymentId}`))).body;
    if (detail.targets.every((target) => target.status !== 'pending') || Date.now() > deadline) return detail.targets;
    await sleep(1_000);
  }
}

/** The rollout that follows a plain deployment, once it has settled its counts (none pending), or as it is at the deadline. */
export async function followingRollout(api: BuiltApi, deploymentId: string, withinMs: number): Promise<RolloutDto | undefined> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const rollouts = (await json<RolloutListDto>(fetch(`${api.baseUrl}/api/rollouts?limit=100`))).body.items;
    const rollout = rollouts.find((candidate) => candidate.deploymentId === deploymentId);
    if ((rollout?.state === 'finished' && rollout.counts.pending === 0) || Date.now() > deadline) return rollout;
    await sleep(1_000);
  }
}

/** Confirmed-or-failed events of the deployment, counted per gateway. */
export async function decisionEventsPerGateway(mongoUrl: string, deploymentId: string): Promise<Map<string, number>> {
  const connection = await mongoose.createConnection(mongoUrl).asPromise();
  try {
    const events = await connection
      .collection('events')
      .find({ type: { $in: ['upgrade.confirmed', 'upgrade.failed'] }, 'details.deploymentId': deploymentId })
      .toArray();
    const perGateway = new Map<string, number>();
    for (const event of events) perGateway.set(String(event['gatewayId']), (perGateway.get(String(event['gatewayId'])) ?? 0) + 1);
    return perGateway;
  } finally {
    await connection.close();
  }
}
