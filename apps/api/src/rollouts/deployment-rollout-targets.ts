import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
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
// Deployments one tick reads at most (about 3 queries each: its lists and outcome events), the
// first time (a new lease holder, another process's deployments) and again after a quiet while (a
// lost event, in the order they became due): many are read over several ticks. Separate, so that
// quiet ones never hold back new ones.
export const FIRST_READS_PER_TICK_MAX = 20;
export const QUIET_READS_PER_TICK_MAX = 10;
// Targets still open and no decision heard of for this long: the undecided ones are read from the
// database (a live event lost on the way), then after twice as long each time nothing was learnt.
const FIRST_READ_WAIT_MS = 10_000;
const LONGEST_READ_WAIT_MS = 300_000;
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
  // When a decision was last learnt (or the undecided ones read), and how long to wait after it before reading them.
  quietSinceMs: number;
  waitMs: number;
  askedMs: number;
}

/**
 * The targets of a plain deployment's rollout (`targetsOfDeployment`) are its deployment's targets:
 * one phase, one deployment, no retries, every target pending on it from the start until the
 * deployment decides it. None is written to rollout_targets (an insert and an update per target
 * that said what the deployment's decisions say), and RolloutOutcomes finds no batch for
 * such a deployment. The rollout controller sets the rollout's counts from the deployment's
 * decisions at each tick: read once from the database, then learnt from the live events the
 * deciding processes raise once a decision is written (the undecided targets are read again when
 * none was heard of for a while: an event may be lost, a process may die before raising it). What
 * a process remembers is only what the database says; the counts it writes only move on. The
 * process that makes the deployment follows it from the start (no read where it also ticks). The API
 * reads the targets from the deployment. Rollouts of earlier versions keep their rollout_targets.
 */
@Injectable()
export class DeploymentRolloutTargets implements OnModuleInit, OnModuleDestroy {
  private readonly followed = new Map<string, Followed>();
  private decisions: Subscription | null = null;
  private sweptMs = 0;
  // The controller's tick asks about every open rollout with the same `now`: reads left in this one.
  private tickMs = Number.NaN;
  private firstReadsLeft = FIRST_READS_PER_TICK_MAX;
  // Followed deployments due for a read of their undecided targets, in the order they became due (the first ones are read first).
  private readonly quiet = new Set<string>();
  private quietReadsLeft = QUIET_READS_PER_TICK_MAX;

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
      if (entry && typeof gatewayId === 'string' && (status === 'confirmed' || status === 'failed')) learn(entry, gatewayId, status, Date.now());
    });
  }

  onModuleDestroy(): void {
    this.decisions?.unsubscribe();
  }

  /**
   * Follows a new deployment from the process that makes it, before its Upgrade goes out: a
   * controller ticking here learns every decision from the live events, without reading its targets.
   */
  follow(deploymentId: string, gatewayIds: readonly string[], now = new Date()): void {
    const nowMs = now.getTime();
    this.forgetIdle(nowMs);
    this.add(deploymentId, newEntry(new Set(gatewayIds), nowMs));
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
      this.quietReadsLeft = QUIET_READS_PER_TICK_MAX;
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
      else learnDecided(entry, read, nowMs);
    } else if (entry.undecided.size === 0 || nowMs - entry.quietSinceMs < entry.waitMs) {
      this.quiet.delete(deploymentId);
    } else if (isAmongFirst(this.quiet.add(deploymentId), deploymentId, this.quietReadsLeft)) {
      this.quietReadsLeft -= 1;
      this.quiet.delete(deploymentId);
      const before = entry.undecided.size;
      const read = await this.deployments.targetStates(deploymentId, [...entry.undecided]);
      learnDecided(entry, read, nowMs);
      entry.quietSinceMs = nowMs;
      if (entry.undecided.size === before) entry.waitMs = Math.min(LONGEST_READ_WAIT_MS, entry.waitMs * 2);
    }
    const counts = { ...emptyTargetCounts(), pending: entry.undecided?.size ?? 0, confirmed: entry.confirmed, failed: entry.failed };
    const current = stored[0];
    if (current && current.pending <= counts.pending) return stored;
    await this.rollouts.updateOne(
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

  /** Stops following a settled rollout's deployment. */
  forget(rollout: Pick<StoredRollout, 'deploymentId'>): void {
    if (rollout.deploymentId) this.unfollow(rollout.deploymentId);
  }

  /** Stops following every deployment (this process no longer holds the controller's lease). */
  clear(): void {
    this.followed.clear();
    this.quiet.clear();
  }

  private add(deploymentId: string, entry: Followed): Followed {
    this.unfollow(deploymentId);
    if (this.followed.size >= FOLLOWED_MAX) this.unfollow(this.followed.keys().next().value ?? '');
    this.followed.set(deploymentId, entry);
    return entry;
  }

  private unfollow(deploymentId: string): void {
    this.followed.delete(deploymentId);
    this.quiet.delete(deploymentId);
  }

  private forgetIdle(nowMs: number): void {
    if (nowMs - this.sweptMs < IDLE_MS) return;
    this.sweptMs = nowMs;
    for (const [deploymentId, entry] of this.followed) if (nowMs - entry.askedMs >= IDLE_MS) this.unfollow(deploymentId);
  }
}

function isAmongFirst<T>(items: Iterable<T>, wanted: T, count: number): boolean {
  let seen = 0;
  for (const item of items) {
    if (seen++ >= count) return false;
    if (item === wanted) return true;
  }
  return false;
}

function newEntry(undecided: Set<string> | null, nowMs: number): Followed {
  return {
    undecided,
    heard: undecided ? null : new Map(),
    confirmed: 0,
    failed: 0,
    quietSinceMs: nowMs,
    waitMs: FIRST_READ_WAIT_MS,
    askedMs: nowMs,
  };
}

function learn(entry: Followed, gatewayId: string, status: Decision, nowMs: number): void {
  if (entry.undecided === null) {
    entry.heard?.set(gatewayId, status);
    return;
  }
  if (!entry.undecided.delete(gatewayId)) return;
  entry[status] += 1;
  entry.quietSinceMs = nowMs;
  entry.waitMs = FIRST_READ_WAIT_MS;
}

/** The decided ones among targets read. */
function learnDecided(entry: Followed, read: readonly DeploymentTargetDto[], nowMs: number): void {
  for (const target of read) if (target.status !== 'pending') learn(entry, target.gatewayId, target.status, nowMs);
}

/** Every target of the deployment as read, with the decisions heard of while it was read. */
function learnFirstRead(entry: Followed, read: readonly DeploymentTargetDto[], nowMs: number): void {
  const heard = entry.heard;
  entry.undecided = new Set();
  entry.heard = null;
  for (const target of read) {
    const status = target.status !== 'pending' ? target.status : heard?.get(target.gatewayId);
    if (status) entry[status] += 1;
    else entry.undecided.add(target.gatewayId);
  }
  entry.quietSinceMs = nowMs;
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
