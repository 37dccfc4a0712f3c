import { getConnectionToken } from '@nestjs/mongoose';
import type {
  DeploymentCreatedDto,
  DeploymentRolloutCreatedDto,
  DeploymentDetailDto,
  DeploymentListDto,
  EventListDto,
  GatewayDto,
  GatewayHistoryDto,
  GatewayListDto,
  GatewaySummaryDto,
} from '@upgrade-manager/dto';
import { ToGatewayMessageType } from '@upgrade-manager/frame-codec';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import { DEVELOPMENT_PRINCIPAL, type Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { statusDocument } from '../gateways/gateway-status-writes';
import { GatewaysService } from '../gateways/gateways.service';
import { LiveEventsService, type LiveEvent } from '../live/live-events.service';
import { api, connectGateway, uniqueId, uniqueMajor, uploadVersion } from '../../test/protocol-helpers';
import { Types, type Connection } from 'mongoose';
import { firstValueFrom, filter } from 'rxjs';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { DeploymentTracker } from './deployment-tracker.service';
import { DeploymentsService } from './deployments.service';

describe('deployments and gateways REST (real broker and database)', () => {
  let testApi: TestApi;
  let baseUrl: string;
  const clients: GatewayClient[] = [];
  const major = uniqueMajor();
  const v = (minor: string) => `${major}.${minor}`;
  // Test images are version strings, as the simulator expects.
  const imageOf = (version: string) => Buffer.from(version);

  async function registeredGateway(companyId: string, version = '0.5', prefix = 'gw-dep'): Promise<GatewayClient> {
    const client = await connectGateway(uniqueId(prefix), companyId);
    clients.push(client);
    await client.sendStatus({ version, timestamp: Date.now() });
    await eventually(async () => expect((await getGateway(client.gatewayId)).status).toBe(200));
    return client;
  }

  function getGateway(gatewayId: string) {
    return api<GatewayDto>(baseUrl, `/api/gateways/${gatewayId}`);
  }

  function deploy(body: unknown) {
    return api<DeploymentCreatedDto>(baseUrl, '/api/deployments', { method: 'POST', body });
  }

  function getDeployment(id: string) {
    return api<DeploymentDetailDto>(baseUrl, `/api/deployments/${id}`);
  }

  async function expectDomainError(promise: Promise<unknown>, code: DomainErrorCode): Promise<void> {
    await expect(promise).rejects.toBeInstanceOf(DomainError);
    await expect(promise).rejects.toMatchObject({ code });
  }

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1' });
    baseUrl = testApi.baseUrl;
    for (const minor of ['1', '2']) await uploadVersion(baseUrl, v(minor), imageOf(v(minor)));
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await testApi?.close();
  });

  it('deploys to a list of gateways: pending, Upgrade on each own topic, then confirmed by the Status', async () => {
    const companyId = uniqueId('co');
    const [a, b] = [await registeredGateway(companyId), await registeredGateway(companyId)];
    const upgrades = [a, b].map((client) => client.waitFor(ToGatewayMessageType.Upgrade, (message) => !message.broadcast));

    const announced = firstValueFrom(
      testApi.app.get(LiveEventsService).all$.pipe(filter((event): event is LiveEvent => event.type === 'deployment.created' && event.companyId === companyId)),
    );
    const created = await deploy({ version: v('1'), gatewayIds: [a.gatewayId, b.gatewayId] });
    expect(created.status).toBe(201);
    // A count, not the ids: a deployment to thousands of gateways stays one small bus message.
    expect((await announced).data).toEqual({ deploymentId: created.body.id, version: v('1'), targetCount: 2 });
    expect(created.body).toMatchObject({ version: v('1') });
    expect(created.body.targets.map((target) => [target.gatewayId, target.status])).toEqual([
      [a.gatewayId, 'pending'],
      [b.gatewayId, 'pending'],
    ]);
    const id = created.body.id;
    expect((await getGateway(a.gatewayId)).body.upgrade).toEqual({ version: v('1'), status: 'pending', deploymentId: id });

    for (const upgrade of await Promise.all(upgrades)) expect(upgrade.content.toString()).toBe(v('1'));
    await a.sendStatus({ version: v('1'), timestamp: Date.now() });

    await eventually(async () => expect((await getGateway(a.gatewayId)).body.upgrade?.status).toBe('confirmed'));
    const detail = (await getDeployment(id)).body;
    expect(detail.counts).toEqual({ total: 2, pending: 1, confirmed: 1, failed: 0 });
    // One entry per target, in gateway order, the decided one as decided.
    expect(detail.targets.map((target) => [target.gatewayId, target.status])).toEqual(
      [
        [a.gatewayId, 'confirmed'],
        [b.gatewayId, 'pending'],
      ].sort(([x], [y]) => x.localeCompare(y)),
    );
    expect(detail.targets.find((target) => target.gatewayId === a.gatewayId)).toMatchObject({ status: 'confirmed', reason: null });
    // The targets are listed (one document per 1,000); a decided target is its outcome event, no document of its own.
    const database = testApi.app.get<Connection>(getConnectionToken());
    expect(await database.collection('deployment_target_lists').countDocuments({ deploymentId: id })).toBe(1);
    expect(await database.collection('deployment_targets').countDocuments({ deploymentId: id })).toBe(0);
    // The list counts each target once, decided or not.
    const listed = (await api<DeploymentListDto>(baseUrl, '/api/deployments')).body.items.find((item) => item.id === id);
    expect(listed?.counts).toEqual({ total: 2, pending: 1, confirmed: 1, failed: 0 });
    expect((await getGateway(a.gatewayId)).body.version).toBe(v('1'));

    const events = await api<EventListDto>(baseUrl, `/api/events?gatewayId=${a.gatewayId}`);
    expect(events.body.items.map((event) => event.type).sort()).toEqual(['software.deployed', 'upgrade.confirmed']);
    expect(events.body.items.find((event) => event.type === 'software.deployed')?.actor).toMatchObject({ userId: 'development' });

    const history = await api<GatewayHistoryDto>(baseUrl, `/api/gateways/${a.gatewayId}/history`);
    expect(history.body.deployments).toEqual([expect.objectContaining({ deploymentId: id, status: 'confirmed', version: v('1') })]);
    expect(history.body.events).toHaveLength(2);
    // A pending target (no document yet) is in its gateway's history too.
    const pendingHistory = await api<GatewayHistoryDto>(baseUrl, `/api/gateways/${b.gatewayId}/history`);
    expect(pendingHistory.body.deployments).toEqual([expect.objectContaining({ deploymentId: id, status: 'pending', version: v('1') })]);
  });

  it("counts a large open deployment on the list from its rollout, not from every target's decision", async () => {
    const companyId = uniqueId('co-large');
    const database = testApi.app.get<Connection>(getConnectionToken());
    // More gateways than the list counts exactly: registered as their Status would have.
    const now = new Date();
    const gatewayIds = Array.from({ length: 1001 }, (_, index) => `${companyId}-gw-${index}`);
    await database
      .collection('gateways')
      .insertMany(
        gatewayIds.map((gatewayId) =>
          statusDocument(
            { gatewayId, companyId, version: '0.5', protocol: null, sentAt: now, lastSeenAt: now, lastUpgradeAt: null },
            { admission: 'accepted' },
          ),
        ) as never[],
      );
    const created = await api<DeploymentRolloutCreatedDto>(baseUrl, '/api/deployments', { method: 'POST', body: { version: v('1'), companyId } });
    expect(created.status).toBe(201);
    expect(created.body.targets).toHaveLength(1001);
    const listed = async () => (await api<DeploymentListDto>(baseUrl, `/api/deployments?companyId=${companyId}`)).body.items[0];
    expect((await listed()).counts).toEqual({ total: 1001, pending: 1001, confirmed: 0, failed: 0 });
    // What the rollout controller would write as decisions come in (none come: no gateway is connected).
    await database
      .collection('rollouts')
      .updateOne(
        { _id: new Types.ObjectId(created.body.rolloutId) },
        { $set: { 'phases.0.counts': { waiting: 0, starting: 0, pending: 990, confirmed: 7, failed: 3, skipped: 1 } } },
      );
    expect((await listed()).counts).toEqual({ total: 1001, pending: 990, confirmed: 7, failed: 4 });
    // The detail stays exact.
    expect((await getDeployment(created.body.id)).body.counts).toEqual({ total: 1001, pending: 1001, confirmed: 0, failed: 0 });
  });

  it('fails a target whose Status reports another version, and a newer deployment supersedes a pending one', async () => {
    const companyId = uniqueId('co');
    const client = await registeredGateway(companyId);
    const first = await deploy({ version: v('1'), gatewayIds: [client.gatewayId] });
    const second = await deploy({ version: v('2'), gatewayIds: [client.gatewayId] });
    expect((await getDeployment(first.body.id)).body.targets[0]).toMatchObject({ status: 'failed', reason: 'superseded' });
    expect((await getGateway(client.gatewayId)).body.upgrade).toEqual({ version: v('2'), status: 'pending', deploymentId: second.body.id });

    await client.sendStatus({ version: '0.5' });
    await eventually(async () => expect((await getGateway(client.gatewayId)).body.upgrade?.status).toBe('failed'));
    // The gateway's copy is written with its Status, the target right after it.
    await eventually(async () =>
      expect((await getDeployment(second.body.id)).body.targets[0]).toMatchObject({ status: 'failed', reason: 'reported-version', reportedVersion: '0.5' }),
    );
    const failed = await api<EventListDto>(baseUrl, `/api/events?gatewayId=${client.gatewayId}&type=upgrade.failed`);
    expect(failed.body.total).toBe(2);
  });

  it('never lists targets a deployment does not have: a process that stops right after the deployment document leaves its targets listed', async () => {
    const companyId = uniqueId('co');
    const client = await registeredGateway(companyId);
    // The process stops (or the database fails) between the deployment document and the tracker.
    const start = jest.spyOn(testApi.app.get(DeploymentTracker), 'startDeployment').mockRejectedValueOnce(new Error('process stopped'));
    const failed = await deploy({ version: v('1'), gatewayIds: [client.gatewayId] });
    start.mockRestore();
    expect(failed.status).toBe(500);
    const listed = (await api<DeploymentListDto>(baseUrl, `/api/deployments?companyId=${companyId}`)).body.items;
    expect(listed).toHaveLength(1);
    const detail = await getDeployment(listed[0].id);
    // The list's counts are the detail's: the target is listed, pending, for republishOrphans to publish.
    expect(detail.body.targets.map((target) => [target.gatewayId, target.status])).toEqual([[client.gatewayId, 'pending']]);
    expect(listed[0].counts).toEqual({ total: 1, pending: 1, confirmed: 0, failed: 0 });

    // Once its process is gone, another publishes the listed target.
    const upgrade = client.waitFor(ToGatewayMessageType.Upgrade, (message) => message.content.toString() === v('1'));
    const database = testApi.app.get<Connection>(getConnectionToken());
    await database.collection('deployments').updateOne({ _id: new Types.ObjectId(listed[0].id) }, { $set: { publisher: 'a-stopped-process' } });
    expect(await testApi.app.get(DeploymentsService).republishOrphans()).toBe(1);
    await upgrade;
  });

  it('ignores another version sent before the deployment and received after it; the deployed version then confirms', async () => {
    const companyId = uniqueId('co');
    const client = await connectGateway(uniqueId('gw-dep-late'), companyId);
    clients.push(client);
    const nowSeconds = () => Math.floor(Date.now() / 1000);
    await client.sendStatus({ version: '0.5' }, nowSeconds() - 60);
    await eventually(async () => expect((await getGateway(client.gatewayId)).status).toBe(200));
    const registeredSeenAt = (await getGateway(client.gatewayId)).body.lastSeenAt;
    const deployment = await deploy({ version: v('1'), gatewayIds: [client.gatewayId] });

    // Sent (as its frame says) seconds before the deployment, on its way meanwhile.
    await client.sendStatus({ version: '0.5' }, nowSeconds() - 5);
    await eventually(async () => expect((await getGateway(client.gatewayId)).body.lastSeenAt).not.toBe(registeredSeenAt));
    expect((await getDeployment(deployment.body.id)).body.targets[0]).toMatchObject({ status: 'pending' });

    await client.sendStatus({ version: v('1') }, nowSeconds());
    await eventually(async () => expect((await getDeployment(deployment.body.id)).body.targets[0]).toMatchObject({ status: 'confirmed' }));
    const failed = await api<EventListDto>(baseUrl, `/api/events?gatewayId=${client.gatewayId}&type=upgrade.failed`);
    expect(failed.body.total).toBe(0);
  });

  it('deploys to a company: its enabled gateways only; "all" skips disabled gateways and then avoids the broadcast topic', async () => {
    const companyId = uniqueId('co');
    const [on, off] = [await registeredGateway(companyId), await registeredGateway(companyId)];
    const other = await registeredGateway(uniqueId('co'));
    const patched = await api<GatewayDto>(baseUrl, `/api/gateways/${off.gatewayId}`, { method: 'PATCH', body: { enabled: false } });
    expect(patched.body.enabled).toBe(false);

    const created = await deploy({ version: v('1'), companyId });
    expect(created.status).toBe(201);
    expect(created.body.targets.map((target) => target.gatewayId)).toEqual([on.gatewayId]);
    expect((await deploy({ version: v('1'), gatewayIds: [off.gatewayId] })).status).toBe(409);

    // A disabled gateway exists, so "all" goes to each enabled gateway's own topic.
    const upgrade = other.waitFor(ToGatewayMessageType.Upgrade, (message) => message.content.toString() === v('2'));
    const everything = await deploy({ version: v('2'), all: true });
    expect(everything.status).toBe(201);
    const targeted = everything.body.targets.map((target) => target.gatewayId);
    expect(targeted).toEqual(expect.arrayContaining([on.gatewayId, other.gatewayId]));
    expect(targeted).not.toContain(off.gatewayId);
    expect((await upgrade).broadcast).toBe(false);
  });

  it('validates the body: exactly one target form, a dotted version, a known version and known gateways', async () => {
    const client = await registeredGateway(uniqueId('co'));
    const before = (await api<DeploymentListDto>(baseUrl, '/api/deployments')).body.total;
    expect((await deploy({ version: v('1') })).status).toBe(400);
    expect((await deploy({ version: v('1'), gatewayIds: [client.gatewayId], companyId: 'x' })).status).toBe(400);
    expect((await deploy({ version: v('1'), all: false })).status).toBe(400);
    expect((await deploy({ version: 'latest', gatewayIds: [client.gatewayId] })).status).toBe(400);
    expect((await deploy({ version: v('1'), gatewayIds: [] })).status).toBe(400);
    expect((await deploy({ version: v('1'), gatewayIds: [client.gatewayId], extra: 1 })).status).toBe(400);
    expect((await deploy({ version: v('77'), gatewayIds: [client.gatewayId] })).status).toBe(404);
    const unknown = await deploy({ version: v('1'), gatewayIds: [client.gatewayId, uniqueId('nope')] });
    expect(unknown.status).toBe(404);
    expect((await api<DeploymentListDto>(baseUrl, '/api/deployments')).body.total).toBe(before);
    expect((await getGateway(client.gatewayId)).body.upgrade).toBeNull();
    expect((await getDeployment('not-an-id')).status).toBe(404);
  });

  it('keeps tenants apart: an admin deploys only to its company, a user never; lists are scoped', async () => {
    const [mine, theirs] = [uniqueId('co'), uniqueId('co')];
    const own = await registeredGateway(mine);
    const foreign = await registeredGateway(theirs);
    const admin: Principal = { userId: 'u-admin', email: 'admin@example.com', role: 'admin', companyId: mine };
    const user: Principal = { ...admin, userId: 'u-user', role: 'user' };
    const deployments = testApi.app.get(DeploymentsService);
    const gateways = testApi.app.get(GatewaysService);

    await expectDomainError(deployments.create(admin, { version: v('1'), gatewayIds: [own.gatewayId, foreign.gatewayId] }), DomainErrorCode.NOT_FOUND);
    await expectDomainError(deployments.create(admin, { version: v('1'), companyId: theirs }), DomainErrorCode.FORBIDDEN);
    await expectDomainError(deployments.create(admin, { version: v('1'), all: true }), DomainErrorCode.FORBIDDEN);
    await expectDomainError(deployments.create(user, { version: v('1'), gatewayIds: [own.gatewayId] }), DomainErrorCode.FORBIDDEN);
    expect((await getGateway(own.gatewayId)).body.upgrade).toBeNull();

    const created = await deployments.create(admin, { version: v('1'), gatewayIds: [own.gatewayId] });
    expect(created.targets).toHaveLength(1);
    const listed = await deployments.list(admin, {});
    expect(listed.items.map((item) => item.id)).toEqual([created.id]);
    expect(listed.items[0].counts.total).toBe(1);

    expect((await gateways.list(admin, {})).items.map((gateway) => gateway.gatewayId)).toEqual([own.gatewayId]);
    expect((await gateways.list(admin, { companyId: theirs })).total).toBe(0);
    await expectDomainError(gateways.get(admin, foreign.gatewayId), DomainErrorCode.NOT_FOUND);
    await expectDomainError(gateways.update(user, own.gatewayId, { name: 'x' }), DomainErrorCode.FORBIDDEN);
    expect((await gateways.summary(admin)).total).toBe(1);

    // A super user's deployment to both companies: each company's reader sees its own company and target only.
    const superUser = DEVELOPMENT_PRINCIPAL;
    const both = await deployments.create(superUser, { version: v('2'), gatewayIds: [own.gatewayId, foreign.gatewayId] });
    expect((await deployments.get(superUser, both.id)).companyIds.sort()).toEqual([mine, theirs].sort());
    const seenByAdmin = await deployments.get(admin, both.id);
    expect(seenByAdmin.companyIds).toEqual([mine]);
    expect(seenByAdmin.targets.map((target) => target.gatewayId)).toEqual([own.gatewayId]);
    const listedByAdmin = (await deployments.list(admin, {})).items.find((item) => item.id === both.id);
    expect(listedByAdmin?.companyIds).toEqual([mine]);
    expect(listedByAdmin?.counts.total).toBe(1);
  });

  it('lists gateways with paging, filters and sorting done by the database, and a summary', async () => {
    const companyId = uniqueId('co');
    const prefix = uniqueId('gw-list');
    const created: GatewayClient[] = [];
    for (const version of ['0.5', '0.9', '0.10']) created.push(await registeredGateway(companyId, version, prefix));
    await api(baseUrl, `/api/gateways/${created[1].gatewayId}`, { method: 'PATCH', body: { name: 'Pump station North' } });

    const all = await api<GatewayListDto>(baseUrl, `/api/gateways?companyId=${companyId}&sort=gatewayId&order=desc`);
    expect(all.body.total).toBe(3);
    expect(all.body.items.map((gateway) => gateway.gatewayId)).toEqual(
      created
        .map((client) => client.gatewayId)
        .sort()
        .reverse(),
    );

    const page = await api<GatewayListDto>(baseUrl, `/api/gateways?companyId=${companyId}&page=2&pageSize=2`);
    expect(page.body).toMatchObject({ total: 3, offset: 2, limit: 2 });
    expect(page.body.items).toHaveLength(1);
    expect((await api<GatewayListDto>(baseUrl, `/api/gateways?companyId=${companyId}&offset=1&limit=1`)).body.items).toHaveLength(1);

    expect((await api<GatewayListDto>(baseUrl, `/api/gateways?companyId=${companyId}&version=0.9`)).body.items.map((gateway) => gateway.gatewayId)).toEqual([
      created[1].gatewayId,
    ]);
    expect((await api<GatewayListDto>(baseUrl, `/api/gateways?companyId=${companyId}&search=pump%20STATION`)).body.total).toBe(1);
    expect((await api<GatewayListDto>(baseUrl, `/api/gateways?companyId=${companyId}&online=true`)).body.total).toBe(3);
    expect((await api<GatewayListDto>(baseUrl, `/api/gateways?companyId=${companyId}&online=false`)).body.total).toBe(0);
    expect((await api<GatewayListDto>(baseUrl, `/api/gateways?companyId=${companyId}&upgradeStatus=none`)).body.total).toBe(3);
    expect((await api(baseUrl, '/api/gateways?sort=name')).status).toBe(400);
    expect((await api(baseUrl, '/api/gateways?pageSize=100000')).status).toBe(400);

    const summary = (await api<GatewaySummaryDto>(baseUrl, '/api/gateways/summary')).body;
    expect(summary.total).toBeGreaterThanOrEqual(3);
    expect(summary.online + summary.offline).toBe(summary.total);
    const versions = summary.versions.map((entry) => entry.version);
    // Newest first in dotted-number order.
    expect(versions.indexOf('0.10')).toBeLessThan(versions.indexOf('0.9'));
    expect(summary.versions.reduce((sum, entry) => sum + entry.count, 0)).toBe(summary.total);
  });

  it('edits a gateway: validated fields, recorded as gateway.modified; 404 for an unknown gateway', async () => {
    const client = await registeredGateway(uniqueId('co'));
    const path = `/api/gateways/${client.gatewayId}`;
    const patched = await api<GatewayDto>(baseUrl, path, { method: 'PATCH', body: { name: 'Gate 7', address: 'Main St 1', latitude: 47.5, longitude: -8.25 } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Gate 7', address: 'Main St 1', latitude: 47.5, longitude: -8.25, enabled: true });
    expect((await api(baseUrl, path, { method: 'PATCH', body: { latitude: 91 } })).status).toBe(400);
    expect((await api(baseUrl, path, { method: 'PATCH', body: { version: '9' } })).status).toBe(400);
    expect((await api<GatewayDto>(baseUrl, path, { method: 'PATCH', body: { address: null } })).body.address).toBeNull();
    expect((await api(baseUrl, `/api/gateways/${uniqueId('nope')}`, { method: 'PATCH', body: { name: 'x' } })).status).toBe(404);
    const events = await api<EventListDto>(baseUrl, `/api/events?gatewayId=${client.gatewayId}&type=gateway.modified`);
    expect(events.body.total).toBe(2);
  });
});
