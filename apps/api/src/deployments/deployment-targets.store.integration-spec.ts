import { Types } from 'mongoose';
import { insertOnce } from '../database/insert-once';
import { useThrowawayDatabase } from '../../test/throwaway-database';
import { Event, EventSchema } from '../events/event.schema';
import { EventsService } from '../events/events.service';
import { DeploymentTargetList, DeploymentTargetListSchema } from './deployment-target-list.schema';
import { DeploymentTarget, DeploymentTargetSchema } from './deployment-target.schema';
import { DeploymentTargetsStore } from './deployment-targets.store';
import { Deployment, DeploymentSchema } from './deployment.schema';
import type { StoredTarget } from './pending-targets';
import { outcomeEvent } from './target-decision';
import { decisionDocument } from './target-decision-documents';
import { targetId, TARGETS_PER_LIST } from './target-lists';

describe('DeploymentTargetsStore (real database)', () => {
  const database = useThrowawayDatabase('deployment-targets');
  const createdAt = new Date('2026-01-01T00:00:00Z');
  const deadline = new Date('2026-01-01T00:10:00Z');

  function models() {
    const connection = database();
    const deployments = connection.model(Deployment.name, DeploymentSchema);
    const targets = connection.model(DeploymentTarget.name, DeploymentTargetSchema);
    const lists = connection.model(DeploymentTargetList.name, DeploymentTargetListSchema);
    const events = new EventsService(connection.model(Event.name, EventSchema));
    return { deployments, targets, lists, events, store: new DeploymentTargetsStore(targets, lists, deployments, events) };
  }

  function target(deploymentId: string, gatewayId: string, companyId: string, _id = targetId(deploymentId, gatewayId)): StoredTarget {
    return {
      _id,
      deploymentId,
      gatewayId,
      companyId,
      version: '1.2',
      status: 'pending',
      reason: null,
      reportedVersion: null,
      deadline,
      createdAt,
      updatedAt: createdAt,
    };
  }

  it('lists a deployment’s targets by the thousand and reads a decided target from its outcome event, all by _id', async () => {
    const { deployments, targets, lists, events, store } = models();
    const id = new Types.ObjectId();
    const deploymentId = id.toString();
    const count = 2 * TARGETS_PER_LIST + 500;
    const created = Array.from({ length: count }, (_, index) => target(deploymentId, `gw-${index}`, index % 2 === 0 ? 'co-a' : 'co-b'));
    created[7] = { ...created[7], protocol: 2 };
    await deployments.collection.insertOne({
      _id: id,
      version: '1.2',
      scope: 'gateways',
      companyIds: ['co-a', 'co-b'],
      targetCount: count,
      companyTargetCounts: [count / 2, count / 2],
      settled: false,
    });
    await store.insert(deploymentId, created);
    const decidedAt = new Date('2026-01-01T00:01:00Z');
    await events.recordOnce(
      [
        { target: created[3], status: 'confirmed' as const, reason: null, reportedVersion: null },
        { target: created[TARGETS_PER_LIST + 4], status: 'failed' as const, reason: 'reported-version' as const, reportedVersion: '1.1' },
      ].map((change) => ({ ...outcomeEvent(change), at: decidedAt })),
    );

    // One document per 1,000 targets, and the decided targets' outcome events: no document per target.
    expect(await lists.countDocuments({})).toBe(3);
    expect(await targets.countDocuments({ deploymentId })).toBe(0);
    const [shape] = await store.shapesOf([deploymentId]);
    const current = await store.current(shape);
    expect(current).toHaveLength(count);
    expect(current.map((found) => found.gatewayId)).toEqual(created.map((each) => each.gatewayId));
    expect(current[3]).toEqual({ ...created[3], status: 'confirmed', updatedAt: decidedAt });
    expect(current[TARGETS_PER_LIST + 4]).toMatchObject({ status: 'failed', reason: 'reported-version', reportedVersion: '1.1' });
    // As created: the same _id, company, deadline and protocol.
    expect(current[7]).toEqual(created[7]);
    expect(current[8]).toEqual(created[8]);

    expect((await store.current(shape, { companyId: 'co-b' })).every((found) => found.companyId === 'co-b')).toBe(true);
    expect((await store.current(shape, { companyId: 'co-b' })).length).toBe(count / 2);
    const some = await store.current(shape, { gatewayIds: ['gw-3', 'gw-9', 'gw-unknown'] });
    expect(some.map((found) => [found.gatewayId, found.status])).toEqual([
      ['gw-3', 'confirmed'],
      ['gw-9', 'pending'],
    ]);
    const undecided = await store.undecidedOf([deploymentId]);
    expect(undecided).toHaveLength(count - 2);
    expect(undecided.find((found) => found.gatewayId === 'gw-3')).toBeUndefined();

    // The decisions among some targets, found by _id alone: only those decided.
    const wanted = ['gw-3', 'gw-9', `gw-${TARGETS_PER_LIST + 4}`, 'gw-unknown'].map((gatewayId) => ({ deploymentId, gatewayId }));
    expect(await store.decisionsOf(wanted)).toEqual([
      { deploymentId, gatewayId: 'gw-3', status: 'confirmed' },
      { deploymentId, gatewayId: `gw-${TARGETS_PER_LIST + 4}`, status: 'failed' },
    ]);
    expect(await store.decisionsOf([])).toEqual([]);
  });

  it('reads one page of a deployment’s targets from the lists it spans and their decisions only, in the order created', async () => {
    const { deployments, events, store } = models();
    const id = new Types.ObjectId();
    const deploymentId = id.toString();
    const count = 2 * TARGETS_PER_LIST + 500;
    const created = Array.from({ length: count }, (_, index) => target(deploymentId, `gw-${index}`, index % 2 === 0 ? 'co-a' : 'co-b'));
    await deployments.collection.insertOne({
      _id: id,
      version: '1.2',
      scope: 'gateways',
      companyIds: ['co-a', 'co-b'],
      targetCount: count,
      companyTargetCounts: [count / 2, count / 2],
      settled: false,
    });
    await store.insert(deploymentId, created);
    const decidedAt = new Date('2026-01-01T00:01:00Z');
    const decided = [5, TARGETS_PER_LIST - 1, TARGETS_PER_LIST, 2 * TARGETS_PER_LIST + 10];
    await events.recordOnce(
      decided.map((index) => ({ ...outcomeEvent({ target: created[index], status: 'confirmed', reason: null, reportedVersion: null }), at: decidedAt })),
    );
    const [shape] = await store.shapesOf([deploymentId]);
    const all = await store.current(shape);

    // Every page is the same slice of the whole, across list boundaries and at the end.
    for (const [offset, limit] of [
      [0, 50],
      [TARGETS_PER_LIST - 20, 50],
      [TARGETS_PER_LIST, 1],
      [2 * TARGETS_PER_LIST, 500],
      [count - 3, 50],
      [count, 50],
      [count + 10, 50],
    ]) {
      expect(await store.page(shape, offset, limit)).toEqual(all.slice(offset, offset + limit));
    }
    expect((await store.page(shape, TARGETS_PER_LIST - 2, 4))?.map((found) => found.status)).toEqual(['pending', 'confirmed', 'confirmed', 'pending']);

    // A page reads the lists it spans and the decisions of its targets, nothing of the others.
    const reads: { collection: string; ids: unknown[] }[] = [];
    database().set('debug', (collection: string, method: string, query: { _id?: { $in?: unknown[] } }) => {
      if (method === 'find') reads.push({ collection, ids: query._id?.$in ?? [] });
    });
    try {
      await store.page(shape, TARGETS_PER_LIST - 20, 50);
    } finally {
      database().set('debug', false);
    }
    expect(reads.map(({ collection, ids }) => [collection, ids.length])).toEqual([
      ['deployment_target_lists', 2],
      ['events', 50],
    ]);
    // A deployment of an earlier version (no lists): not paged.
    expect(await store.page({ _id: id, targetCount: count }, 0, 50)).toBeNull();
  });

  it('reads a deployment of an earlier version (a document per target as created, decisions beside them) as before', async () => {
    const { deployments, targets, store } = models();
    const id = new Types.ObjectId();
    const deploymentId = id.toString();
    await deployments.collection.insertOne({ _id: id, version: '1.2', scope: 'gateways', companyIds: ['co-a'], targetCount: 3, settled: false });
    const created = ['gw-1', 'gw-2', 'gw-3'].map((gatewayId) => target(deploymentId, gatewayId, 'co-a', new Types.ObjectId()));
    await insertOnce(targets, [...created, decisionDocument({ target: created[0], status: 'confirmed', reason: null, reportedVersion: null }, new Date())]);

    const [shape] = await store.shapesOf([deploymentId]);
    expect((await store.current(shape)).map((found) => [found.gatewayId, found.status])).toEqual([
      ['gw-2', 'pending'],
      ['gw-3', 'pending'],
      ['gw-1', 'confirmed'],
    ]);
    expect((await store.current(shape, { gatewayIds: ['gw-1'] })).map((found) => found.status)).toEqual(['confirmed']);
    expect((await store.undecidedOf([deploymentId])).map((found) => found._id.toString())).toEqual([created[1], created[2]].map((each) => each._id.toString()));
  });
});
