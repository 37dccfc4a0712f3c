import type { DeploymentTargetDto, LiveEvent } from '@upgrade-manager/dto';
import { Types, type Model } from 'mongoose';
import { Subject } from 'rxjs';
import type { DeploymentsService } from '../deployments/deployments.service';
import type { LiveEventsService } from '../live/live-events.service';
import { DeploymentRolloutTargets, FIRST_READS_PER_TICK_MAX, QUIET_READS_PER_TICK_MAX } from './deployment-rollout-targets';
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
  it('with more open plain deployments than a tick reads, reads a bounded number per tick and keeps every one followed', async () => {
    // 1,200 open one-gateway deployments (a script deploying one gateway at a time), more than the
    // 500 entries kept before: every tick then missed every one and read each again (~3 queries each).
    const count = 1200;
    const ids = Array.from({ length: count }, () => new Types.ObjectId().toString());
    const statuses = new Map<string, DeploymentTargetDto['status']>(ids.map((id) => [id, 'pending']));
    // Reads of a whole deployment, and of its undecided targets (after a quiet while).
    const reads = { first: 0, quiet: 0 };
    const deployments = {
      targetStates: async (deploymentId: string, gatewayIds?: readonly string[]) => {
        reads[gatewayIds ? 'quiet' : 'first'] += 1;
        return [target(`g-${deploymentId}`, statuses.get(deploymentId) ?? 'pending')];
      },
    } as unknown as DeploymentsService;
    const events = new Subject<LiveEvent>();
    const rollouts = { updateOne: async () => undefined } as unknown as Model<Rollout>;
    const stubbedLive = { all$: events.asObservable() } as unknown as LiveEventsService;
    const open = ids.map(
      (deploymentId) =>
        ({
          _id: new Types.ObjectId(),
          deploymentId,
          targetCount: 1,
          phases: [{ counts: { waiting: 0, starting: 0, pending: 1, confirmed: 0, failed: 0, skipped: 0 } }],
        }) as unknown as StoredRollout,
    );
    const start = Date.now();
    // One tick at `second`: every open rollout in the same order, as the controller does; the reads it made.
    const tick = async (followed: DeploymentRolloutTargets, second: number) => {
      const before = { ...reads };
      const counts = [];
      for (const rollout of open) counts.push((await followed.counts(rollout, new Date(start + second * 1000)))[0]);
      return { first: reads.first - before.first, quiet: reads.quiet - before.quiet, counts };
    };
    const sum = (numbers: number[]) => numbers.reduce((total, n) => total + n, 0);

    // The lease holder made them (followed from the start): nothing read until a quiet while, then a bounded number per tick.
    const holder = new DeploymentRolloutTargets(rollouts, deployments, stubbedLive);
    holder.onModuleInit();
    for (const id of ids) holder.follow(id, [`g-${id}`], new Date(start));
    const ticks = [];
    for (let second = 1; second <= 180; second += 1) ticks.push(await tick(holder, second));
    expect(sum(ticks.map((one) => one.first))).toBe(0);
    expect(sum(ticks.slice(0, 9).map((one) => one.quiet))).toBe(0);
    expect(Math.max(...ticks.map((one) => one.quiet))).toBeLessThanOrEqual(QUIET_READS_PER_TICK_MAX);
    // Every one was read again after a quiet while (a lost event), none at every tick.
    expect(sum(ticks.map((one) => one.quiet))).toBeGreaterThanOrEqual(count);
    expect(sum(ticks.map((one) => one.quiet))).toBeLessThan(2 * count);

    // A new lease holder reads each one once, spread over ticks, then follows each by its live events.
    const next = new DeploymentRolloutTargets(rollouts, deployments, stubbedLive);
    next.onModuleInit();
    const firstTicks = [];
    for (let second = 1; second <= count / FIRST_READS_PER_TICK_MAX; second += 1) firstTicks.push(await tick(next, second));
    expect(firstTicks.map((one) => one.first)).toEqual(Array(count / FIRST_READS_PER_TICK_MAX).fill(FIRST_READS_PER_TICK_MAX));
    expect(Math.max(...firstTicks.map((one) => one.quiet))).toBeLessThanOrEqual(QUIET_READS_PER_TICK_MAX);
    for (const id of ids.slice(0, 10)) {
      statuses.set(id, 'confirmed');
      events.next({ type: 'deployment.target-updated', companyId: '2', data: { deploymentId: id, gatewayId: `g-${id}`, status: 'confirmed' } } as LiveEvent);
    }
    const after = await tick(next, firstTicks.length + 1);
    expect(after.first).toBe(0);
    expect(after.counts.filter((counts) => counts.confirmed === 1)).toHaveLength(10);
    // A decision whose event was lost is read once its deployment's turn among the quiet ones comes
    // (in the order they became due, not the order of the tick: within 10 s and 1,200 / 10 ticks).
    statuses.set(ids[count - 1], 'failed');
    const lostAt = firstTicks.length + 2;
    let second = lostAt;
    while (second < lostAt + 1000 && (await tick(next, second)).counts[count - 1].failed === 0) second += 1;
    expect(second - lostAt).toBeLessThanOrEqual(10 + count / QUIET_READS_PER_TICK_MAX);
    holder.onModuleDestroy();
    next.onModuleDestroy();
  });
});
