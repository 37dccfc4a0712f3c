import type { DeploymentTargetDto, LiveEvent } from '@upgrade-manager/dto';
import { Types, type Model } from 'mongoose';
import { Subject } from 'rxjs';
import type { DeploymentsService } from '../deployments/deployments.service';
import type { LiveEventsService } from '../live/live-events.service';
import type { TargetRef } from '../deployments/deployment-targets.store';
import {
  CHECKS_PER_TICK_MAX,
  DeploymentRolloutTargets,
  FIRST_CHECK_WAIT_MS,
  FIRST_READS_PER_TICK_MAX,
  QUIET_MS,
  SHORTEST_CHECK_WAIT_MS,
} from './deployment-rollout-targets';
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

function setUp(gateways = GATEWAYS) {
  // The deployment as the database has it.
  const statuses = new Map<string, DeploymentTargetDto['status']>(gateways.map((gatewayId) => [gatewayId, 'pending']));
  const reads: (readonly string[] | undefined)[] = [];
  // The gateways of each lookup of decisions by `_id`.
  const checks: string[][] = [];
  const deployments = {
    targetStates: async (deploymentId: string, gatewayIds?: readonly string[]) => {
      if (deploymentId === DEPLOYMENT) reads.push(gatewayIds);
      return (gatewayIds ?? gateways).map((gatewayId) => target(gatewayId, statuses.get(gatewayId) ?? 'pending'));
    },
    decisionsOf: async (targets: readonly TargetRef[]) => {
      checks.push(targets.map((one) => one.gatewayId));
      return targets.flatMap(({ deploymentId, gatewayId }) => {
        const status = deploymentId === DEPLOYMENT ? statuses.get(gatewayId) : undefined;
        return status && status !== 'pending' ? [{ deploymentId, gatewayId, status }] : [];
      });
    },
  } as unknown as DeploymentsService;
  const events = new Subject<LiveEvent>();
  const writes: unknown[] = [];
  const rollouts = { collection: { updateOne: async (filter: unknown, update: unknown) => void writes.push({ filter, update }) } } as unknown as Model<Rollout>;
  const followed = new DeploymentRolloutTargets(rollouts, deployments, { all$: events.asObservable() } as unknown as LiveEventsService);
  followed.onModuleInit();
  const rollout = {
    _id: new Types.ObjectId(),
    deploymentId: DEPLOYMENT,
    targetCount: gateways.length,
    phases: [{ counts: { waiting: 0, starting: 0, pending: gateways.length, confirmed: 0, failed: 0, skipped: 0 } }],
  } as unknown as StoredRollout;
  const decide = (gatewayId: string, status: 'confirmed' | 'failed', { announced = true } = {}) => {
    statuses.set(gatewayId, status);
    if (announced) events.next({ type: 'deployment.target-updated', companyId: '2', data: { deploymentId: DEPLOYMENT, gatewayId, status } } as LiveEvent);
  };
  return { followed, rollout, reads, checks, writes, decide };
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

  it('follows a deployment from the process that makes it without reading it, and looks the undecided ones up after a quiet while', async () => {
    const { followed, rollout, reads, checks, decide } = setUp();
    // Live events are dated by the clock.
    const start = Date.now();
    followed.follow(DEPLOYMENT, GATEWAYS, new Date(start));
    decide('a', 'confirmed');
    decide('d', 'confirmed', { announced: false });
    expect(await followed.counts(rollout, new Date(start + 1000))).toEqual([expect.objectContaining({ pending: 3, confirmed: 1 })]);
    // Due once quiet for QUIET_MS, looked up at the start of the next tick.
    await followed.counts(rollout, new Date(start + QUIET_MS + 1000));
    expect(checks).toEqual([]);
    expect(await followed.counts(rollout, new Date(start + QUIET_MS + 2000))).toEqual([expect.objectContaining({ pending: 2, confirmed: 2 })]);
    expect(checks).toEqual([['b', 'c', 'd']]);
    expect(reads).toEqual([]);
  });

  it('looks the undecided targets up again when no decision was heard of for a while (a lost live event), later the more are undecided', async () => {
    const { followed, rollout, reads, checks, decide } = setUp();
    const start = Date.parse('2026-12-03T00:00:00Z');
    const at = (ms: number) => followed.counts(rollout, new Date(start + ms));
    await at(0);
    expect(reads).toEqual([undefined]);
    decide('c', 'confirmed', { announced: false });
    expect(await at(9000)).toEqual([expect.objectContaining({ pending: 4 })]);
    await at(FIRST_CHECK_WAIT_MS);
    expect(checks).toHaveLength(0);
    expect(await at(FIRST_CHECK_WAIT_MS + 1000)).toEqual([expect.objectContaining({ pending: 3, confirmed: 1 })]);
    expect(checks).toEqual([['a', 'b', 'c', 'd']]);
    // Something was found: again after QUIET_MS (more may be lost), then every SHORTEST_CHECK_WAIT_MS while nothing is.
    for (let ms = FIRST_CHECK_WAIT_MS + 2000; ms <= FIRST_CHECK_WAIT_MS + 35_000; ms += 1000) await at(ms);
    expect(checks.slice(1)).toEqual([
      ['a', 'b', 'd'],
      ['a', 'b', 'd'],
      ['a', 'b', 'd'],
    ]);
    expect(SHORTEST_CHECK_WAIT_MS).toBe(10_000);
    expect(reads).toHaveLength(1);
  });

  it('sees a rollout finished within seconds when its last decision event is lost, however long that target was pending', async () => {
    const { followed, rollout, checks, decide } = setUp();
    const start = Date.now();
    followed.follow(DEPLOYMENT, GATEWAYS, new Date(start));
    for (const gatewayId of ['a', 'b', 'c']) decide(gatewayId, 'confirmed');
    // The last gateway takes a few minutes; its decision's live event is lost.
    let second = 0;
    const tick = async () => (await followed.counts(rollout, new Date(start + ++second * 1000)))[0];
    while (second < 200) expect(await tick()).toMatchObject({ pending: 1 });
    decide('d', 'failed', { announced: false });
    const lostAt = second;
    while ((await tick()).pending > 0 && second < lostAt + 600);
    expect(await tick()).toMatchObject({ pending: 0, confirmed: 3, failed: 1 });
    expect(second - lostAt).toBeLessThanOrEqual(SHORTEST_CHECK_WAIT_MS / 1000 + 2);
    // One target looked up every 10 s meanwhile.
    expect(checks.length).toBeLessThanOrEqual(second / 10 + 1);
  });

  it('looks up a large deployment over several ticks, each target once a round, and again once its deadline has passed', async () => {
    const gateways = Array.from({ length: 450 }, (_, index) => `g${index}`);
    const { followed, rollout, checks, decide } = setUp(gateways);
    const start = Date.now();
    followed.follow(DEPLOYMENT, gateways, new Date(start), new Date(start + 60_000));
    const tick = async (second: number) => (await followed.counts(rollout, new Date(start + second * 1000)))[0];
    for (let second = 1; second <= 13; second += 1) await tick(second);
    expect(checks.map((checked) => checked.length)).toEqual([CHECKS_PER_TICK_MAX, CHECKS_PER_TICK_MAX, 50]);
    expect(new Set(checks.flat()).size).toBe(450);
    // Nothing found: again 45 s later (100 ms per undecided target), then 15 s after the deadline
    // rather than 45 s later, when the time-out sweep has decided every one.
    for (let second = 14; second <= 61; second += 1) await tick(second);
    expect(checks.map((checked) => checked.length)).toEqual([200, 200, 50, 200, 200, 50]);
    for (const gatewayId of gateways) decide(gatewayId, 'failed', { announced: false });
    let second = 62;
    while ((await tick(second)).pending > 0 && second < 200) second += 1;
    expect(second).toBe(78);
  });

  it('looks up a small deployment within a tick or two while a large one is being looked up over many ticks', async () => {
    // A 20,000-gateway deployment whose gateways are offline (no decision for long: a round of
    // lookups takes 100 ticks) and a one-gateway deployment whose decision event is lost.
    const large = new Types.ObjectId().toString();
    const small = new Types.ObjectId().toString();
    const largeGateways = Array.from({ length: 20_000 }, (_, index) => `g${index}`);
    let smallStatus: DeploymentTargetDto['status'] = 'pending';
    const deployments = {
      targetStates: async () => [],
      decisionsOf: async (targets: readonly TargetRef[]) =>
        targets.flatMap(({ deploymentId, gatewayId }) =>
          deploymentId === small && smallStatus !== 'pending' ? [{ deploymentId, gatewayId, status: smallStatus }] : [],
        ),
    } as unknown as DeploymentsService;
    const rollouts = { collection: { updateOne: async () => undefined } } as unknown as Model<Rollout>;
    const followed = new DeploymentRolloutTargets(rollouts, deployments, { all$: new Subject<LiveEvent>().asObservable() } as unknown as LiveEventsService);
    followed.onModuleInit();
    const rolloutOf = (deploymentId: string, targetCount: number) =>
      ({
        _id: new Types.ObjectId(),
        deploymentId,
        targetCount,
        phases: [{ counts: { waiting: 0, starting: 0, pending: targetCount, confirmed: 0, failed: 0, skipped: 0 } }],
      }) as unknown as StoredRollout;
    const open = [rolloutOf(large, largeGateways.length), rolloutOf(small, 1)];
    const start = Date.now();
    followed.follow(large, largeGateways, new Date(start));
    followed.follow(small, ['s'], new Date(start + 1000));
    smallStatus = 'confirmed';
    let second = 1;
    const tick = async () => {
      const counts = [];
      for (const rollout of open) counts.push((await followed.counts(rollout, new Date(start + second * 1000)))[0]);
      second += 1;
      return counts;
    };
    while (second < 120 && (await tick())[1].pending > 0);
    // Due 10 s after it was followed (at 11 s), looked up at the next tick or the one after, not once the large one's round is done.
    expect(second).toBeLessThanOrEqual(FIRST_CHECK_WAIT_MS / 1000 + 4);
    followed.onModuleDestroy();
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
    // Until the lookups by `_id`, a lost decision was read 10 s to 5 min later, 10 deployments (30 queries) a tick.
    const count = 1200;
    const ids = Array.from({ length: count }, () => new Types.ObjectId().toString());
    const statuses = new Map<string, DeploymentTargetDto['status']>(ids.map((id) => [id, 'pending']));
    // Reads of a whole deployment, lookups of decisions by `_id` (calls, and the queries of 100 ids they make).
    const reads = { first: 0, lookups: 0, queries: 0, looked: new Map<string, number>() };
    const deployments = {
      targetStates: async (deploymentId: string) => {
        reads.first += 1;
        return [target(`g-${deploymentId}`, statuses.get(deploymentId) ?? 'pending')];
      },
      decisionsOf: async (targets: readonly TargetRef[]) => {
        reads.lookups += 1;
        reads.queries += Math.ceil(targets.length / 100);
        for (const { deploymentId } of targets) reads.looked.set(deploymentId, (reads.looked.get(deploymentId) ?? 0) + 1);
        return targets.flatMap(({ deploymentId, gatewayId }) => {
          const status = statuses.get(deploymentId);
          return status && status !== 'pending' ? [{ deploymentId, gatewayId, status }] : [];
        });
      },
    } as unknown as DeploymentsService;
    const events = new Subject<LiveEvent>();
    const rollouts = { collection: { updateOne: async () => undefined } } as unknown as Model<Rollout>;
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
      const before = { ...reads, looked: reads.looked.size };
      const counts = [];
      for (const rollout of open) counts.push((await followed.counts(rollout, new Date(start + second * 1000)))[0]);
      return { first: reads.first - before.first, lookups: reads.lookups - before.lookups, queries: reads.queries - before.queries, counts };
    };
    const sum = (numbers: number[]) => numbers.reduce((total, n) => total + n, 0);

    // The lease holder made them (followed from the start): nothing read, their undecided targets
    // looked up together once quiet, each every 10 s, in one or two queries a tick.
    const holder = new DeploymentRolloutTargets(rollouts, deployments, stubbedLive);
    holder.onModuleInit();
    for (const id of ids) holder.follow(id, [`g-${id}`], new Date(start));
    const ticks = [];
    for (let second = 1; second <= 180; second += 1) ticks.push(await tick(holder, second));
    expect(sum(ticks.map((one) => one.first))).toBe(0);
    expect(sum(ticks.slice(0, FIRST_CHECK_WAIT_MS / 1000).map((one) => one.lookups))).toBe(0);
    expect(Math.max(...ticks.map((one) => one.lookups))).toBe(1);
    expect(Math.max(...ticks.map((one) => one.queries))).toBe(CHECKS_PER_TICK_MAX / 100);
    // 180 s: each one looked up 15 or 16 times (first 10 s after it was made, then due 10 s after
    // the last lookup and looked up at the next tick), about 110 a second.
    expect(reads.looked.size).toBe(count);
    expect(new Set(reads.looked.values())).toEqual(new Set([15, 16]));
    expect(sum(ticks.map((one) => one.queries))).toBeLessThanOrEqual(2 * 180);

    // A new lease holder reads each one once, spread over ticks, then follows each by its live events.
    const next = new DeploymentRolloutTargets(rollouts, deployments, stubbedLive);
    next.onModuleInit();
    const firstTicks = [];
    for (let second = 1; second <= count / FIRST_READS_PER_TICK_MAX; second += 1) firstTicks.push(await tick(next, second));
    expect(firstTicks.map((one) => one.first)).toEqual(Array(count / FIRST_READS_PER_TICK_MAX).fill(FIRST_READS_PER_TICK_MAX));
    expect(Math.max(...firstTicks.map((one) => one.queries))).toBeLessThanOrEqual(CHECKS_PER_TICK_MAX / 100);
    for (const id of ids.slice(0, 10)) {
      statuses.set(id, 'confirmed');
      events.next({ type: 'deployment.target-updated', companyId: '2', data: { deploymentId: id, gatewayId: `g-${id}`, status: 'confirmed' } } as LiveEvent);
    }
    const after = await tick(next, firstTicks.length + 1);
    expect(after.first).toBe(0);
    expect(after.counts.filter((counts) => counts.confirmed === 1)).toHaveLength(10);
    // A decision whose event was lost is found within 10 s (each one is looked up every 10 s; 120
    // a second fit in the CHECKS_PER_TICK_MAX of a tick), however long it was pending.
    for (let second = firstTicks.length + 2; second < firstTicks.length + 200; second += 1) await tick(next, second);
    statuses.set(ids[count - 1], 'failed');
    const lostAt = firstTicks.length + 200;
    let second = lostAt;
    while (second < lostAt + 1000 && (await tick(next, second)).counts[count - 1].failed === 0) second += 1;
    expect(second - lostAt).toBeLessThanOrEqual(SHORTEST_CHECK_WAIT_MS / 1000 + 1);
    holder.onModuleDestroy();
    next.onModuleDestroy();
  });
});
