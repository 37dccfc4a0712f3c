import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { DeploymentTargetDto, RolloutTargetDto } from '@upgrade-manager/dto';
import type { Model } from 'mongoose';
import type { Subscription } from 'rxjs';
import { TARGET_UPDATED } from '../deployments/deployment-tracker.service';
import { DeploymentsService } from '../deployments/deployments.service';
import { LiveEventsService } from '../live/live-events.service';
import { emptyTargetCounts, storedCounts, type TargetCounts } from './rollout-decision';
import type { StoredRollout } from './rollout.mapper';
import { failureReason } from './rollout-outcomes.service';
import { Rollout } from './rollout.schema';

// Open plain deployments one process follows (those of the controller's lease holder): far above
// realistic counts, so that every open one keeps its entry between ticks. An entry holds a few
// numbers and the gateway ids of its undecided targets (which the deployment tracker holds too: a
// gateway has one pending target at most), so this bounds the entries' fixed part (a few hundred bytes each).
export const FOLLOWED_MAX = 50_000;
// Deployments one tick reads whole at most (about 3 queries each: its lists and outcome events),
// the first time (a new lease holder, another process's deployments): many are read over several
// ticks.
export const FIRST_READS_PER_TICK_MAX = 20;
// Undecided targets one tick looks up at most, by the `_id` of their outcome events (a query
// per 100, see readsById), in the order their deployments became due: a lost live event. A larger
// deployment is looked up over several ticks, its next slice behind the deployments due meanwhile.
export const CHECKS_PER_TICK_MAX = 200;
// The undecided targets are looked up once no decision was heard of for this long (a live event
// lost on the way, a process dead before raising it), and this long after the deployment was
// followed or read (its gateways download the image first: under load, a 1,000-gateway rollout
// hears its first decision several seconds after its Upgrade went out) ...
export const QUIET_MS = 5_000;
export const FIRST_CHECK_WAIT_MS = 10_000;
// ... then, while nothing is found, every 100 ms per undecided target, at least every 10 s and at
// most every 5 min: 1,200 open one-gateway deployments cost about 110 lookups a second (one or two
// queries a tick), and a rollout whose last decision was lost is seen finished 5-12 s later.
const CHECK_WAIT_PER_TARGET_MS = 100;
export const SHORTEST_CHECK_WAIT_MS = 10_000;
const LONGEST_CHECK_WAIT_MS = 300_000;
// And once its targets' deadline has passed by this (the time-out sweep decides them at most 10 s after it).
const AFTER_DEADLINE_MS = 15_000;
// A deployment the controller has not asked about for this long is no longer followed here (its
// rollout settled, or another process holds the controller's lease now).
const IDLE_MS = 60_000;

type Decision = 'confirmed' | 'failed';

/**
 * What the controller knows of one deployment: its undecided targets (once read) and how many of
 * the others were confirmed and failed (a decision is never taken back).
 */
interface Followed {
  // null until the first read: decisions heard of meanwhile wait in `heard`.
  undecided: Set<string> | null;
  heard: Map<string, Decision> | null;
  confirmed: number;
  failed: number;
  // When the undecided ones are looked up next (QUIET_MS after the last decision learnt, later while none is found).
  checkAtMs: number;
  // Once the targets' deadline has passed (each is decided then): looked up no later than this.
  deadlineCheckMs: number | null;
  // Undecided targets still to look up in this round (a large deployment takes several ticks).
  roundLeft: number;
  // Something was found decided in this round.
  foundInRound: boolean;
  askedMs: number;
}

/**
 * The targets of a plain deployment's rollout (`targetsOfDeployment`) are its deployment's targets:
 * one phase, one deployment, no retries, every target pending on it from the start until the
 * deployment decides it. None is written to rollout_targets (an insert and an update per target
 * that said what the deployment's decisions say), and RolloutOutcomes finds no batch for
 * such a deployment. The rollout controller sets the rollout's counts from the deployment's
 * decisions at each tick: read once from the database, then learnt from the live events the
 * deciding processes raise once a decision is written. An event may be lost (QoS 0: the lease
 * holder's broker connection drops, a process dies before raising it): once none was heard of for
 * a few seconds, the undecided targets' outcome events are looked up by `_id`, together for
 * every deployment due in a tick (see CHECKS_PER_TICK_MAX). What a process remembers is only what
 * the database says; the counts it writes only move on. The process that makes the deployment
 * follows it from the start (no read where it also ticks). The API reads the targets from the
 * deployment. Rollouts of earlier versions keep their rollout_targets.
 */
@Injectable()
export class DeploymentRolloutTargets implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(DeploymentRolloutTargets.name);
  private readonly followed = new Map<string, Followed>();
  private decisions: Subscription | null = null;
  private sweptMs = 0;
  // The controller's tick asks about every open rollout with the same `now`: reads left in this one.
  private tickMs = Number.NaN;
  private firstReadsLeft = FIRST_READS_PER_TICK_MAX;
  // Followed deployments whose undecided targets are due for a lookup, in the order they became due
  // (asked about in one tick, looked up at the start of the next).
  private readonly due = new Set<string>();

  constructor(
    @InjectModel(Rollout.name) private readonly rollouts: Model<Rollout>,
    private readonly deployments: DeploymentsService,
    private readonly live: LiveEventsService,
  ) {}

  onModuleInit(): void {
    this.decisions = this.live.all$.subscribe((event) => {
      if (event.type !== TARGET_UPDATED) return;
      const { deploymentId, gatewayId, status } = event.data;
      const entry = typeof deploymentId === 'string' ? this.followed.get(deploymentId) : undefined;
      if (entry && typeof gatewayId === 'string' && (status === 'confirmed' || status === 'failed')) {
        if (learn(entry, gatewayId, status)) entry.checkAtMs = Date.now() + QUIET_MS;
      }
    });
  }

  onModuleDestroy(): void {
    this.decisions?.unsubscribe();
  }

  /**
   * Follows a new deployment from the process that makes it, before its Upgrade goes out: a
   * controller ticking here learns every decision from the live events, without reading its targets.
   */
  follow(deploymentId: string, gatewayIds: readonly string[], now = new Date(), deadline: Date | null = null): void {
    const nowMs = now.getTime();
    this.forgetIdle(nowMs);
    const entry = newEntry(new Set(gatewayIds), nowMs);
    entry.deadlineCheckMs = deadline && deadline.getTime() + AFTER_DEADLINE_MS;
    this.add(deploymentId, entry);
  }

  /**
   * The rollout's counts (one phase) as its deployment's decisions say, written into the rollout
   * when they moved on: only fewer pending is written, so a slower writer never takes back what a
   * later one wrote. Left as stored while the deployment's targets are not found, or not read yet
   * (a tick reads a bounded number of deployments; the others wait for a later one).
   */
  async counts(rollout: StoredRollout, now: Date): Promise<TargetCounts[]> {
    const stored = storedCounts(rollout.phases) ?? [{ ...emptyTargetCounts(), pending: rollout.targetCount }];
    const deploymentId = rollout.deploymentId;
    if (!deploymentId) return stored;
    const nowMs = now.getTime();
    this.forgetIdle(nowMs);
    if (nowMs !== this.tickMs) {
      this.tickMs = nowMs;
      this.firstReadsLeft = FIRST_READS_PER_TICK_MAX;
      await this.checkDue(nowMs);
    }
    let entry = this.followed.get(deploymentId);
    if (!entry) {
      if (this.firstReadsLeft <= 0) return stored;
      // Followed before the read: a decision raised meanwhile is learnt either way.
      entry = this.add(deploymentId, newEntry(null, nowMs));
    }
    entry.askedMs = nowMs;
    if (entry.undecided === null) {
      if (this.firstReadsLeft <= 0) return stored;
      this.firstReadsLeft -= 1;
      const read = await this.deployments.targetStates(deploymentId);
      if (read.length === 0) return stored;
      // Another tick's read of it may have come back first (ticks overlap only in tests).
      if (entry.undecided === null) learnFirstRead(entry, read, nowMs);
      else for (const target of read) if (target.status !== 'pending') learn(entry, target.gatewayId, target.status);
    } else if (entry.undecided.size === 0 || nowMs < entry.checkAtMs) {
      this.due.delete(deploymentId);
    } else if (!this.due.has(deploymentId)) {
      entry.roundLeft = entry.undecided.size;
      entry.foundInRound = false;
      this.due.add(deploymentId);
    }
    const counts = { ...emptyTargetCounts(), pending: entry.undecided?.size ?? 0, confirmed: entry.confirmed, failed: entry.failed };
    const current = stored[0];
    if (current && current.pending <= counts.pending) return stored;
    // The driver's write (a tick's only write while a broadcast's decisions come in): the values are the schema's types already.
    await this.rollouts.collection.updateOne(
      { _id: rollout._id, 'phases.0.counts.pending': { $gt: counts.pending } },
      { $set: { 'phases.0.counts': counts, updatedAt: now }, $inc: { countsVersion: 1 } },
    );
    return [counts];
  }

  /** Every target of the rollout as the API shows it, in start order (the deployment's order). */
  async targets(rollout: StoredRollout): Promise<RolloutTargetDto[]> {
    const deploymentId = rollout.deploymentId ?? '';
    const startedAt = (rollout.startedAt ?? rollout.createdAt).toISOString();
    return (await this.deployments.targetStates(deploymentId)).map((target) => rolloutTargetOf(target, deploymentId, startedAt));
  }

  /**
   * Targets `offset` to `offset + limit` of the rollout in start order, and how many it has,
   * reading only those (null for a deployment of an earlier version: read them all with `targets`).
   */
  async targetPage(rollout: StoredRollout, offset: number, limit: number): Promise<{ items: RolloutTargetDto[]; total: number } | null> {
    const deploymentId = rollout.deploymentId ?? '';
    const startedAt = (rollout.startedAt ?? rollout.createdAt).toISOString();
    const page = await this.deployments.targetPage(deploymentId, offset, limit);
    return page && { items: page.targets.map((target) => rolloutTargetOf(target, deploymentId, startedAt)), total: page.total };
  }

  /** Stops following a settled rollout's deployment. */
  forget(rollout: Pick<StoredRollout, 'deploymentId'>): void {
    if (rollout.deploymentId) this.unfollow(rollout.deploymentId);
  }

  /** Stops following every deployment (this process no longer holds the controller's lease). */
  clear(): void {
    this.followed.clear();
    this.due.clear();
  }

  /**
   * Looks up the outcome events of the undecided targets of the deployments due, at most
   * CHECKS_PER_TICK_MAX together (one query per 100): those found are decided. A deployment whose
   * round is done is looked up again after QUIET_MS if something was found (more may be lost),
   * else after a while that grows with its undecided targets.
   */
  private async checkDue(nowMs: number): Promise<void> {
    let left = CHECKS_PER_TICK_MAX;
    const slices: { deploymentId: string; entry: Followed; gatewayIds: string[] }[] = [];
    for (const deploymentId of this.due) {
      if (left <= 0) break;
      const entry = this.followed.get(deploymentId);
      if (!entry?.undecided || entry.undecided.size === 0 || nowMs < entry.checkAtMs) {
        this.due.delete(deploymentId);
        continue;
      }
      const gatewayIds = firstOf(entry.undecided, Math.min(left, Math.max(1, entry.roundLeft)));
      left -= gatewayIds.length;
      slices.push({ deploymentId, entry, gatewayIds });
    }
    if (slices.length === 0) return;
    // Not found this time (the database failed): the same ones are looked up at the next tick.
    const found = await this.deployments
      .decisionsOf(slices.flatMap(({ deploymentId, gatewayIds }) => gatewayIds.map((gatewayId) => ({ deploymentId, gatewayId }))))
      .catch((error: Error) => {
        this.logger.warn(`Decisions of ${slices.length} deployment(s) not looked up, again next tick: ${error.message}`);
        return null;
      });
    if (!found) return;
    const decided = new Map(found.map((decision) => [`${decision.deploymentId}\u0000${decision.gatewayId}`, decision.status]));
    for (const { deploymentId, entry, gatewayIds } of slices) {
      if (this.followed.get(deploymentId) !== entry || !entry.undecided) continue;
      entry.roundLeft -= gatewayIds.length;
      for (const gatewayId of gatewayIds) {
        const status = decided.get(`${deploymentId}\u0000${gatewayId}`);
        if (status === 'confirmed' || status === 'failed') {
          if (learn(entry, gatewayId, status)) entry.foundInRound = true;
        } else if (entry.undecided.delete(gatewayId)) {
          // Looked up: the next slice of the round starts with the others.
          entry.undecided.add(gatewayId);
        }
      }
      this.due.delete(deploymentId);
      // Round not done: the rest waits behind the deployments due meanwhile, so that a large one
      // (100 ticks for 20,000 targets) does not hold back the others' lookups for its whole round.
      if (entry.roundLeft > 0 && entry.undecided.size > 0) {
        this.due.add(deploymentId);
        continue;
      }
      entry.checkAtMs = entry.foundInRound ? nowMs + QUIET_MS : nextCheckMs(entry, nowMs);
    }
  }

  private add(deploymentId: string, entry: Followed): Followed {
    this.unfollow(deploymentId);
    if (this.followed.size >= FOLLOWED_MAX) this.unfollow(this.followed.keys().next().value ?? '');
    this.followed.set(deploymentId, entry);
    return entry;
  }

  private unfollow(deploymentId: string): void {
    this.followed.delete(deploymentId);
    this.due.delete(deploymentId);
  }

  private forgetIdle(nowMs: number): void {
    if (nowMs - this.sweptMs < IDLE_MS) return;
    this.sweptMs = nowMs;
    for (const [deploymentId, entry] of this.followed) if (nowMs - entry.askedMs >= IDLE_MS) this.unfollow(deploymentId);
  }
}

/** The first `count` items of a set, in its order. */
function firstOf<T>(items: Set<T>, count: number): T[] {
  const first: T[] = [];
  for (const item of items) {
    if (first.length >= count) break;
    first.push(item);
  }
  return first;
}

function newEntry(undecided: Set<string> | null, nowMs: number): Followed {
  return {
    undecided,
    heard: undecided ? null : new Map(),
    confirmed: 0,
    failed: 0,
    checkAtMs: nowMs + FIRST_CHECK_WAIT_MS,
    deadlineCheckMs: null,
    roundLeft: 0,
    foundInRound: false,
    askedMs: nowMs,
  };
}

/** When a deployment whose lookup found nothing is looked up again: later the more targets it has undecided, and once past their deadline. */
function nextCheckMs(entry: Followed, nowMs: number): number {
  const waitMs = Math.min(LONGEST_CHECK_WAIT_MS, Math.max(SHORTEST_CHECK_WAIT_MS, (entry.undecided?.size ?? 0) * CHECK_WAIT_PER_TARGET_MS));
  const afterDeadline = entry.deadlineCheckMs;
  return afterDeadline !== null && afterDeadline > nowMs ? Math.min(afterDeadline, nowMs + waitMs) : nowMs + waitMs;
}

/** Counts a decision about an undecided target (or keeps it for the first read); true if it was undecided. */
function learn(entry: Followed, gatewayId: string, status: Decision): boolean {
  if (entry.undecided === null) {
    entry.heard?.set(gatewayId, status);
    return false;
  }
  if (!entry.undecided.delete(gatewayId)) return false;
  entry[status] += 1;
  return true;
}

/** Every target of the deployment as read, with the decisions heard of while it was read. */
function learnFirstRead(entry: Followed, read: readonly DeploymentTargetDto[], nowMs: number): void {
  const heard = entry.heard;
  entry.undecided = new Set();
  entry.heard = null;
  let deadlineMs = Number.NEGATIVE_INFINITY;
  for (const target of read) {
    deadlineMs = Math.max(deadlineMs, Date.parse(target.deadline));
    const status = target.status !== 'pending' ? target.status : heard?.get(target.gatewayId);
    if (status) entry[status] += 1;
    else entry.undecided.add(target.gatewayId);
  }
  entry.deadlineCheckMs = Number.isFinite(deadlineMs) ? deadlineMs + AFTER_DEADLINE_MS : null;
  entry.checkAtMs = nowMs + FIRST_CHECK_WAIT_MS;
}

/** A deployment target as a target of the rollout that follows the deployment (attempted once, at the rollout's start). */
function rolloutTargetOf(target: DeploymentTargetDto, deploymentId: string, startedAt: string): RolloutTargetDto {
  const decided = target.status !== 'pending';
  return {
    gatewayId: target.gatewayId,
    companyId: target.companyId,
    phase: 0,
    state: target.status,
    attempts: 1,
    reason: target.status === 'failed' ? failureReason(target.reason, target.reportedVersion) : null,
    deploymentId,
    startedAt,
    decidedAt: decided ? target.updatedAt : null,
  };
}
