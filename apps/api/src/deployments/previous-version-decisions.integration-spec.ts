import { getConnectionToken } from '@nestjs/mongoose';
import type { DeploymentDetailDto, DeploymentListDto, GatewayDto, GatewayHistoryDto } from '@upgrade-manager/dto';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import { Types, type Connection } from 'mongoose';
import { EventsService } from '../events/events.service';
import { api, connectGateway, uniqueId } from '../../test/protocol-helpers';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { DeploymentTracker } from './deployment-tracker.service';
import type { StoredTarget } from './pending-targets';
import { outcomeEvent, type TargetChange } from './target-decision';
import { decisionDocument } from './target-decision-documents';
import { targetId, targetLists } from './target-lists';

/**
 * Since 2026-12-03 a listed target's decision is only its outcome event. Before, the decision was
 * also written as a document in deployment_targets (after its event), and deployments of still
 * earlier versions have a document per target: what those versions wrote reads as it did.
 */
describe('deployment decisions written by earlier versions (real broker and database)', () => {
  let testApi: TestApi;
  let baseUrl: string;
  let database: Connection;
  const clients: GatewayClient[] = [];
  const hourAgo = () => new Date(Date.now() - 3_600_000);

  async function registeredGateway(companyId: string): Promise<string> {
    const client = await connectGateway(uniqueId('gw-prev'), companyId);
    clients.push(client);
    await client.sendStatus({ version: '0.5', timestamp: Date.now() });
    await eventually(async () => expect((await api<GatewayDto>(baseUrl, `/api/gateways/${client.gatewayId}`)).status).toBe(200));
    return client.gatewayId;
  }

  function target(deploymentId: string, gatewayId: string, companyId: string, createdAt: Date, _id = targetId(deploymentId, gatewayId)): StoredTarget {
    return {
      _id,
      deploymentId,
      gatewayId,
      companyId,
      version: '9.1',
      status: 'pending',
      reason: null,
      reportedVersion: null,
      deadline: createdAt,
      createdAt,
      updatedAt: createdAt,
    };
  }

  // A deployment as the versions since target lists wrote it (`lists`: companyTargetCounts), its lists first.
  async function insertDeployment(id: Types.ObjectId, companyId: string, targets: readonly StoredTarget[], fields: Record<string, unknown>, lists = true) {
    if (lists) await database.collection('deployment_target_lists').insertMany(targetLists(id.toString(), targets) as never[]);
    await database.collection('deployments').insertOne({
      _id: id,
      version: '9.1',
      scope: 'gateways',
      companyIds: [companyId],
      targetCount: targets.length,
      ...(lists ? { companyTargetCounts: [targets.length] } : {}),
      createdBy: null,
      published: true,
      publisher: null,
      createdAt: targets[0].createdAt,
      ...fields,
    });
  }

  // What the previous version wrote for a decision: the outcome event, then the decision document under the same _id.
  async function decidedBefore(changes: TargetChange[]) {
    await testApi.app.get(EventsService).recordOnce(changes.map(outcomeEvent));
    await database.collection('deployment_targets').insertMany(changes.map((change) => decisionDocument(change, new Date())) as never[]);
  }

  async function listedCounts(companyId: string) {
    const { body } = await api<DeploymentListDto>(baseUrl, `/api/deployments?companyId=${companyId}`);
    return new Map(body.items.map((item) => [item.id, item.counts]));
  }

  async function statuses(id: Types.ObjectId) {
    const { body } = await api<DeploymentDetailDto>(baseUrl, `/api/deployments/${id.toString()}`);
    return body.targets.map((each) => [each.gatewayId, each.status, each.reason]);
  }

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1' });
    baseUrl = testApi.baseUrl;
    database = testApi.app.get<Connection>(getConnectionToken());
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await testApi?.close();
  });

  it('reads decision documents and outcome events of listed and earlier deployments: lists, details and gateway histories', async () => {
    const companyId = uniqueId('co-prev');
    const [g1, g2] = [await registeredGateway(companyId), await registeredGateway(companyId)].sort();
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);

    // (a) Listed, settled by the previous version: every decision a document beside its event.
    const settled = new Types.ObjectId();
    const settledTargets = [g1, g2].map((gatewayId) => target(settled.toString(), gatewayId, companyId, at(90)));
    await insertDeployment(settled, companyId, settledTargets, { settled: true });
    await decidedBefore([
      { target: settledTargets[0], status: 'confirmed', reason: null, reportedVersion: null },
      { target: settledTargets[1], status: 'failed', reason: 'reported-version', reportedVersion: '0.5' },
    ]);

    // (b) Of a version before target lists: a document per target as created, its decision beside it.
    const earlier = new Types.ObjectId();
    const earlierTargets = [g1, g2].map((gatewayId) => target(earlier.toString(), gatewayId, companyId, at(120), new Types.ObjectId()));
    await insertDeployment(earlier, companyId, earlierTargets, { settled: true }, false);
    await database.collection('deployment_targets').insertMany(earlierTargets as never[]);
    await database
      .collection('deployment_targets')
      .insertOne(decisionDocument({ target: earlierTargets[0], status: 'failed', reason: 'timeout', reportedVersion: null }, new Date()) as never);

    // (c) Listed and still open: one target decided by the previous version, one pending.
    const open = new Types.ObjectId();
    const openTargets = [g1, g2].map((gatewayId) => target(open.toString(), gatewayId, companyId, new Date()));
    await insertDeployment(open, companyId, openTargets, { settled: false });
    await decidedBefore([{ target: openTargets[0], status: 'confirmed', reason: null, reportedVersion: null }]);

    const counts = await listedCounts(companyId);
    expect(counts.get(settled.toString())).toEqual({ total: 2, pending: 0, confirmed: 1, failed: 1 });
    expect(counts.get(earlier.toString())).toEqual({ total: 2, pending: 1, confirmed: 0, failed: 1 });
    expect(counts.get(open.toString())).toEqual({ total: 2, pending: 1, confirmed: 1, failed: 0 });

    expect(await statuses(settled)).toEqual([
      [g1, 'confirmed', null],
      [g2, 'failed', 'reported-version'],
    ]);
    expect(await statuses(earlier)).toEqual([
      [g1, 'failed', 'timeout'],
      [g2, 'pending', null],
    ]);
    expect(await statuses(open)).toEqual([
      [g1, 'confirmed', null],
      [g2, 'pending', null],
    ]);

    // Each deployment once in its gateway's history, newest first, as decided.
    const history = async (gatewayId: string) =>
      (await api<GatewayHistoryDto>(baseUrl, `/api/gateways/${gatewayId}/history`)).body.deployments.map((each) => [each.deploymentId, each.status]);
    expect(await history(g1)).toEqual([
      [open.toString(), 'confirmed'],
      [settled.toString(), 'confirmed'],
      [earlier.toString(), 'failed'],
    ]);
    expect(await history(g2)).toEqual([
      [settled.toString(), 'failed'],
      [earlier.toString(), 'pending'],
    ]);
  });

  it('applies a decision recorded by a process that stopped before applying it before the deployment is settled, and counts it then', async () => {
    const companyId = uniqueId('co-prev');
    const [g1, g2] = [await registeredGateway(companyId), await registeredGateway(companyId)].sort();
    const id = new Types.ObjectId();
    const targets = [g1, g2].map((gatewayId) => target(id.toString(), gatewayId, companyId, hourAgo()));
    const pendingCopy = { version: '9.1', status: 'pending', deploymentId: id.toString(), startedAt: targets[0].createdAt };
    await database.collection<{ _id: string }>('gateways').updateMany({ _id: { $in: [g1, g2] } }, { $set: { upgrade: pendingCopy } });
    // g1's decision applied (its gateway's copy written); g2's only recorded: its process stopped then.
    await testApi.app.get(EventsService).recordOnce(
      [
        { target: targets[0], status: 'confirmed' as const, reason: null, reportedVersion: null },
        { target: targets[1], status: 'failed' as const, reason: 'timeout' as const, reportedVersion: null },
      ].map(outcomeEvent),
    );
    await database.collection<{ _id: string }>('gateways').updateOne({ _id: g1 }, { $set: { 'upgrade.status': 'confirmed' } });
    // Past its deadline: a candidate of the sweep from now on.
    await insertDeployment(id, companyId, targets, { settled: false });

    // The sweep's lease holder (this process, or this call) settles it.
    await testApi.app.get(DeploymentTracker).markSettled(new Date(), 1000);
    const upgrade = async (gatewayId: string) => (await api<GatewayDto>(baseUrl, `/api/gateways/${gatewayId}`)).body.upgrade;
    expect(await upgrade(g2)).toEqual({ version: '9.1', status: 'failed', deploymentId: id.toString() });
    expect(await upgrade(g1)).toEqual({ version: '9.1', status: 'confirmed', deploymentId: id.toString() });
    expect(await database.collection('deployments').findOne({ _id: id })).toMatchObject({ settled: true, companyConfirmedCounts: [1] });
    expect((await listedCounts(companyId)).get(id.toString())).toEqual({ total: 2, pending: 0, confirmed: 1, failed: 1 });
    expect(await database.collection('deployment_targets').countDocuments({ deploymentId: id.toString() })).toBe(0);
  });
});
