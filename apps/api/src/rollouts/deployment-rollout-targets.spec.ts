import type { DeploymentTargetDto, LiveEvent } from '@upgrade-manager/dto';
import { Types, type Model } from 'mongoose';
import { Subject } from 'rxjs';
import type { DeploymentsService } from '../deployments/deployments.service';
import type { LiveEventsService } from '../live/live-events.service';
import { DeploymentRolloutTargets } from './deployment-rollout-targets';
import type { StoredRollout } from './rollout.mapper';
import type { Rollout } from './rollout.schema';

const DEPLOYMENT = new Types.ObjectId().toString();
const GATEWAYS = ['a', 'b', 'c', 'd'];

function target(gatewayId: string, status: DeploymentTargetDto['status']): DeploymentTargetDto {
  const reason = status === 'failed' ? 'reported-version' : null;
  return {
    gatewayId,
    companyId: '2',
    status,
    reason,
    reportedVersion: reason && '0.5',
    deadline: '2026-12-03T00:10:00.000Z',
    updatedAt: '2026-12-03T00:01:00.000Z',
  };
}

function setUp() {
  // The deployment as the database has it.
  const statuses = new Map<string, DeploymentTargetDto['status']>(GATEWAYS.map((gatewayId) => [gatewayId, 'pending']));
  const reads: (readonly string[] | undefined)[] = [];
  const deployments = {
    targetStates: async (deploymentId: string, gatewayIds?: readonly string[]) => {
      if (deploymentId === DEPLOYMENT) reads.push(gatewayIds);
      return (gatewayIds ?? GATEWAYS).map((gatewayId) => target(gatewayId, statuses.get(gatewayId) ?? 'pending'));
    },
  } as unknown as DeploymentsService;
  const events = new Subject<LiveEvent>();
  const writes: unknown[] = [];
  const rollouts = { updateOne: async (filter: unknown, update: unknown) => void writes.push({ filter, update }) } as unknown as Model<Rollout>;
  const followed = new DeploymentRolloutTargets(rollouts, deployments, { all$: events.asObservable() } as unknown as LiveEventsService);
  followed.onModuleInit();
  const rollout = {
    _id: new Types.ObjectId(),
    deploymentId: DEPLOYMENT,
    targetCount: GATEWAYS.length,
    phases: [{ counts: { waiting: 0, starting: 0, pending: GATEWAYS.length, confirmed: 0, failed: 0, skipped: 0 } }],
  } as unknown as StoredRollout;
  const decide = (gatewayId: string, status: 'confirmed' | 'failed', { announced = true } = {}) => {
    statuses.set(gatewayId, status);
    if (announced) events.next({ type: 'deployment.target-updated', companyId: '2', data: { deploymentId: DEPLOYMENT, gatewayId, status } } as LiveEvent);
  };
  return { followed, rollout, reads, writes, decide };
}

describe('DeploymentRolloutTargets', () => {
  it('reads the deployment once, then counts the decisions its live events announce', async () => {
    const { followed, rollout, reads, writes, decide } = setUp();
    const start = Date.parse('2026-12-03T00:00:00Z');
    decide('a', 'confirmed', { announced: false });
    expect(await followed.counts(rollout, new Date(start))).toEqual([expect.objectContaining({ pending: 3, confirmed: 1, failed: 0 })]);
    expect(reads).toEqual([undefined]);
    decide('b', 'failed');
    decide('b', 'failed');
    const counts = await followed.counts(rollout, new Date(start + 1000));
    expect(counts).toEqual([expect.objectContaining({ pending: 2, confirmed: 1, failed: 1 })]);
    expect(reads).toHaveLength(1);
    // Only fewer pending is written, so a slower writer never takes counts back.
    expect(writes).toHaveLength(2);
    expect(writes[1]).toMatchObject({ filter: { 'phases.0.counts.pending': { $gt: 2 } }, update: { $set: { 'phases.0.counts': counts[0] } } });
    // Nothing moved since what is stored: nothing written.
    rollout.phases[0].counts = counts[0];
    await followed.counts(rollout, new Date(start + 2000));
    expect(writes).toHaveLength(2);
  });

  it('follows a deployment from the process that makes it without reading it, and reads the undecided ones after a quiet while', async () => {
    const { followed, rollout, reads, decide } = setUp();
    // Live events are dated by the clock.
    const start = Date.now();
    followed.follow(DEPLOYMENT, GATEWAYS, new Date(start));
    decide('a', 'confirmed');
    decide('d', 'confirmed', { announced: false });
    expect(await followed.counts(rollout, new Date(start + 1000))).toEqual([expect.objectContaining({ pending: 3, confirmed: 1 })]);
    expect(reads).toEqual([]);
    expect(await followed.counts(rollout, new Date(start + 11_000))).toEqual([expect.objectContaining({ pending: 2, confirmed: 2 })]);
    expect(reads).toEqual([['b', 'c', 'd']]);
  });

  it('reads the undecided targets again when no decision was heard of for a while (a lost live event)', async () => {
    const { followed, rollout, reads, decide } = setUp();
    const start = Date.parse('2026-12-03T00:00:00Z');
    await followed.counts(rollout, new Date(start));
    decide('c', 'confirmed', { announced: false });
    expect(await followed.counts(rollout, new Date(start + 5000))).toEqual([expect.objectContaining({ pending: 4 })]);
    expect(reads).toHaveLength(1);
    expect(await followed.counts(rollout, new Date(start + 10_000))).toEqual([expect.objectContaining({ pending: 3, confirmed: 1 })]);
    expect(reads[1]).toEqual(['a', 'b', 'c', 'd']);
    // Then only the ones still undecided, after twice as long when nothing was learnt.
    await followed.counts(rollout, new Date(start + 20_000));
    expect(reads[2]).toEqual(['a', 'b', 'd']);
    await followed.counts(rollout, new Date(start + 35_000));
    expect(reads).toHaveLength(3);
    await followed.counts(rollout, new Date(start + 40_000));
    expect(reads).toHaveLength(4);
  });

  it('stops following a deployment not asked about for a minute (another process holds the lease)', async () => {
    const { followed, rollout, reads, decide } = setUp();
    const start = Date.parse('2026-12-03T00:00:00Z');
    await followed.counts(rollout, new Date(start));
    const other = { ...rollout, _id: new Types.ObjectId(), deploymentId: new Types.ObjectId().toString() } as StoredRollout;
    await followed.counts(other, new Date(start + 61_000));
    decide('a', 'confirmed');
    expect(await followed.counts(rollout, new Date(start + 62_000))).toEqual([expect.objectContaining({ pending: 3, confirmed: 1 })]);
    expect(reads).toEqual([undefined, undefined]);
  });

  it('forgets a settled rollout: its events are no longer followed, and it is read again if asked', async () => {
    const { followed, rollout, reads, decide } = setUp();
    await followed.counts(rollout, new Date());
    followed.forget(rollout);
    decide('a', 'confirmed');
    expect(await followed.counts(rollout, new Date())).toEqual([expect.objectContaining({ pending: 3, confirmed: 1 })]);
    expect(reads).toEqual([undefined, undefined]);
  });
});
