import type { DeploymentCreatedDto, DeploymentListDto, GatewayListDto } from '@upgrade-manager/dto';
import { fleetGatewayIds, forEachConcurrently, GatewayFleet } from '@upgrade-manager/gateway-client';
import mongoose from 'mongoose';
import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ChildApi } from './child-api';
import { api, connectGateway, gatewayOptions, metricValue, openEventStream, uniqueId, uniqueMajor, uploadVersion } from './protocol-helpers';
import { eventually } from './test-api';

const FLEET_SIZE = 500;
const CONCURRENCY = 50;
const PROCESSES = 3;
const LEASE_TTL_S = 5;

/**
 * Three API processes (the built API, separate OS processes) on one database and one broker:
 * gateway messages are shared among them, one is killed with SIGKILL in the middle of a rollout,
 * and the others finish it: every target confirmed once, one event each, nothing lost. Then the
 * holder of the time-out sweep's lease is killed: another process takes the sweep over.
 */
describe(`${PROCESSES} API processes, ${FLEET_SIZE} gateways, one killed during a rollout`, () => {
  const companyId = uniqueId('co-scale');
  const version = `${uniqueMajor()}.1`;
  const first = new ChildApi();
  const apis = [first, ...Array.from({ length: PROCESSES - 1 }, () => new ChildApi(first))];
  let fleet: GatewayFleet | undefined;
  let stream: IncomingMessage | undefined;
  let db: mongoose.Connection;

  beforeAll(async () => {
    for (const child of apis) await child.build();
    await Promise.all(apis.map((child) => child.start({ LEASE_TTL_S: String(LEASE_TTL_S) })));
    db = await mongoose.createConnection(first.mongoUrl.toString()).asPromise();
  }, 300_000);

  afterAll(async () => {
    stream?.destroy();
    await fleet?.close();
    // The first one last: it owns the database and the build.
    for (const child of [...apis].reverse()) await child.dispose();
    await db?.close();
  });

  it('confirms every gateway exactly once although one process dies, and streams changes across processes', async () => {
    const [victim, second, third] = apis;
    await uploadVersion(second.baseUrl, version, version);
    // A browser's live stream on the third process.
    const opened = await openEventStream(third.baseUrl);
    stream = opened.response;

    const { gatewayId: _unused, ...client } = gatewayOptions('unused', companyId);
    fleet = new GatewayFleet({ gatewayIds: fleetGatewayIds(uniqueId('gw-scale'), FLEET_SIZE), client, concurrency: CONCURRENCY });
    // Installs take a while, so that the rollout is still going when a process is killed: most of
    // the Statuses come after the kill even when the machine is slow to see the first confirmation.
    for (const gateway of fleet.clients) {
      gateway.onUpgrade((content) => {
        setTimeout(() => void gateway.sendStatus({ version: content.toString(), timestamp: Date.now() }).catch(() => undefined), randomInt(500, 12_000));
      });
    }
    expect((await fleet.start()).connected).toBe(FLEET_SIZE);
    await forEachConcurrently(fleet.clients, CONCURRENCY, (gateway) => gateway.sendStatus({ version: '0.5' }));
    await eventually(
      async () => expect((await api<GatewayListDto>(second.baseUrl, `/api/gateways?companyId=${companyId}&limit=1`)).body.total).toBe(FLEET_SIZE),
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    // Registrations went through all three processes (the shared subscription), each gateway once.
    const registrations = await Promise.all(apis.map((child) => metricValue(child.baseUrl, 'um_gateways_registered_total')));
    expect(registrations.reduce((sum, count) => sum + count, 0)).toBe(FLEET_SIZE);
    expect(registrations.every((count) => count > 0)).toBe(true);

    // The deployment goes through the second process; the first dies once the first gateways have confirmed.
    const created = await api<DeploymentCreatedDto>(second.baseUrl, '/api/deployments', { method: 'POST', body: { version, companyId } });
    expect(created.status).toBe(201);
    const deploymentId = created.body.id;
    const confirmed = () => db.collection('events').countDocuments({ type: 'upgrade.confirmed', 'details.deploymentId': deploymentId });
    await eventually(async () => expect(await confirmed()).toBeGreaterThan(0), { timeoutMs: 120_000, intervalMs: 100 });
    await victim.kill();
    expect(await confirmed()).toBeLessThan(FLEET_SIZE);

    await eventually(
      async () => {
        const { body } = await api<DeploymentListDto>(third.baseUrl, '/api/deployments?limit=1');
        expect(body.items[0].counts).toEqual({ total: FLEET_SIZE, pending: 0, confirmed: FLEET_SIZE, failed: 0 });
      },
      { timeoutMs: 240_000, intervalMs: 2_000 },
    );
    // Nothing lost, nothing twice: the listed targets and one outcome event (its decision) per gateway, no target document.
    expect(await db.collection('deployment_target_lists').countDocuments({ deploymentId })).toBe(Math.ceil(FLEET_SIZE / 1000));
    expect(await db.collection('deployment_targets').countDocuments({ deploymentId })).toBe(0);
    expect(await db.collection('events').countDocuments({ type: 'upgrade.confirmed', 'details.deploymentId': deploymentId })).toBe(FLEET_SIZE);
    expect(await db.collection('events').countDocuments({ type: 'upgrade.failed', 'details.deploymentId': deploymentId })).toBe(0);
    expect(await db.collection('events').countDocuments({ type: 'software.deployed', 'details.deploymentId': deploymentId })).toBe(FLEET_SIZE);
    // Mosquitto went on handing the dead process's session a share of the Statuses; the lease holder drained it.
    const adopted = await Promise.all([second, third].map((child) => metricValue(child.baseUrl, 'um_mqtt_orphan_messages_total')));
    expect(adopted.reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
    const upgraded = await api<GatewayListDto>(second.baseUrl, `/api/gateways?companyId=${companyId}&version=${version}&limit=1`);
    expect(upgraded.body.total).toBe(FLEET_SIZE);
    expect(await db.collection('gateways').countDocuments({ companyId, 'upgrade.deploymentId': deploymentId, 'upgrade.status': 'confirmed' })).toBe(FLEET_SIZE);

    // Decided through the first and second processes, seen on the third's stream; and a change made through the second.
    expect(opened.received()).toContain('"type":"deployment.target-updated"');
    const renamed = fleet.clients[0].gatewayId;
    const patched = await api(second.baseUrl, `/api/gateways/${renamed}`, { method: 'PATCH', body: { name: `renamed-${renamed}` } });
    expect(patched.status).toBe(200);
    await eventually(async () => expect(opened.received()).toContain(`"name":"renamed-${renamed}"`), { timeoutMs: 10_000, intervalMs: 100 });
  }, 600_000);

  it('moves the time-out sweep to another process when its lease holder dies, and times a target out once', async () => {
    // Deadlines come from the process that creates the deployment: this one's are short.
    const quick = new ChildApi(first);
    apis.push(quick);
    await quick.build();
    await quick.start({ LEASE_TTL_S: String(LEASE_TTL_S), DEPLOYMENT_TIMEOUT_S: '4' });
    const silent = await connectGateway(uniqueId('gw-silent'), companyId);
    try {
      await silent.sendStatus({ version: '0.5' });
      await eventually(async () => expect((await api(quick.baseUrl, `/api/gateways/${silent.gatewayId}`)).status).toBe(200), {
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      const holderBefore = await sweepLeaseHolder();
      const holder = apis.find((child) => child.running && holderBefore.startsWith(`${child.instanceId}#`));
      expect(holder).toBeDefined();
      const created = await api<DeploymentCreatedDto>(quick.baseUrl, '/api/deployments', { method: 'POST', body: { version, gatewayIds: [silent.gatewayId] } });
      expect(created.status).toBe(201);
      const killedAt = Date.now();
      await holder?.kill();

      const holderAfter = await eventually(
        async () => {
          const current = await sweepLeaseHolder();
          expect(current).not.toBe(holderBefore);
          return current;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      console.log(`deployment-sweep lease: ${holderBefore} killed, ${holderAfter} took over after ${Date.now() - killedAt} ms (LEASE_TTL_S=${LEASE_TTL_S})`);
      expect(apis.some((child) => child.running && holderAfter.startsWith(`${child.instanceId}#`))).toBe(true);

      const failed = () =>
        db.collection('events').countDocuments({ type: 'upgrade.failed', 'details.deploymentId': created.body.id, 'details.reason': 'timeout' });
      await eventually(async () => expect(await failed()).toBe(1), { timeoutMs: 60_000, intervalMs: 250 });
      // Several sweep rounds later, still one outcome.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      expect(await db.collection('events').countDocuments({ type: 'upgrade.failed', 'details.deploymentId': created.body.id })).toBe(1);
    } finally {
      await silent.close();
    }
  }, 180_000);

  async function sweepLeaseHolder(): Promise<string> {
    const lease = await db.collection<{ _id: string; holder: string }>('leases').findOne({ _id: 'deployment-sweep' });
    if (!lease) throw new Error('no deployment-sweep lease yet');
    return lease.holder;
  }
});
