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

// Deployments whose decided targets one process follows (the open plain deployments of the controller's lease holder).
const FOLLOWED_MAX = 500;
// Targets still open and no decision heard of for this long: the undecided ones are read from the
// database (a live event lost on the way), then after twice as long each time nothing was learnt.
const FIRST_READ_WAIT_MS = 10_000;
const LONGEST_READ_WAIT_MS = 300_000;
// A deployment the controller has not asked about for this long is no longer followed here (its
// rollout settled, or another process holds the controller's lease now).
const IDLE_MS = 60_000;

/** What the controller knows of one deployment: its gateways (once read) and its decisions (never taken back). */
interface Followed {
  gatewayIds: string[] | null;
  decided: Map<string, 'confirmed' | 'failed'>;
  // When a decision was last learnt (or the undecided ones read), and how long to wait after it before reading them.
  quietSinceMs: number;
  waitMs: number;
  askedMs: number;
}

/**
 * The targets of a plain deployment's rollout (`targetsOfDeployment`) are its deployment's targets:
 * one phase, one deployment, no retries, every target pending on it from the start until the
 * deployment decides it. None is written to rollout_targets (an insert and an update per target
 * that said what the deployment's decision documents say), and RolloutOutcomes finds no batch for
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
    this.add(deploymentId, { gatewayIds: [...gatewayIds], decided: new Map(), quietSinceMs: nowMs, waitMs: FIRST_READ_WAIT_MS, askedMs: nowMs });
  }

  /**
   * The rollout's counts (one phase) as its deployment's decisions say, written into the rollout
   * when they moved on: only fewer pending is written, so a slower writer never takes back what a
   * later one wrote. Left as stored while the deployment's targets are not found.
   */
  async counts(rollout: StoredRollout, now: Date): Promise<TargetCounts[]> {
    const stored = storedCounts(rollout.phases) ?? [{ ...emptyTargetCounts(), pending: rollout.targetCount }];
    const deploymentId = rollout.deploymentId;
    if (!deploymentId) return stored;
    const nowMs = now.getTime();
    this.forgetIdle(nowMs);
    let entry = this.followed.get(deploymentId);
    if (!entry) {
      // Followed before the read: a decision raised meanwhile is learnt either way.
      entry = this.add(deploymentId, { gatewayIds: null, decided: new Map(), quietSinceMs: nowMs, waitMs: FIRST_READ_WAIT_MS, askedMs: nowMs });
    }
    entry.askedMs = nowMs;
    if (entry.gatewayIds === null) {
      const read = await this.deployments.targetStates(deploymentId);
      if (read.length === 0) return stored;
      entry.gatewayIds = read.map((target) => target.gatewayId);
      this.learnRead(entry, read, nowMs);
    } else if (entry.decided.size < entry.gatewayIds.length && nowMs - entry.quietSinceMs >= entry.waitMs) {
      const decided = entry.decided;
      const read = await this.deployments.targetStates(
        deploymentId,
        entry.gatewayIds.filter((gatewayId) => !decided.has(gatewayId)),
      );
      const before = decided.size;
      this.learnRead(entry, read, nowMs);
      if (decided.size === before) entry.waitMs = Math.min(LONGEST_READ_WAIT_MS, entry.waitMs * 2);
    }
    const counts = { ...emptyTargetCounts(), pending: entry.gatewayIds.length - entry.decided.size };
    for (const status of entry.decided.values()) counts[status] += 1;
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
    if (rollout.deploymentId) this.followed.delete(rollout.deploymentId);
  }

  private add(deploymentId: string, entry: Followed): Followed {
    if (this.followed.size >= FOLLOWED_MAX) this.followed.delete(this.followed.keys().next().value ?? '');
    this.followed.set(deploymentId, entry);
    return entry;
  }

  private forgetIdle(nowMs: number): void {
    if (nowMs - this.sweptMs < IDLE_MS) return;
    this.sweptMs = nowMs;
    for (const [deploymentId, entry] of this.followed) if (nowMs - entry.askedMs >= IDLE_MS) this.followed.delete(deploymentId);
  }

  private learnRead(entry: Followed, read: readonly DeploymentTargetDto[], nowMs: number): void {
    for (const target of read) if (target.status !== 'pending') learn(entry, target.gatewayId, target.status, nowMs);
    entry.quietSinceMs = nowMs;
  }
}

function learn(entry: Followed, gatewayId: string, status: 'confirmed' | 'failed', nowMs: number): void {
  if (entry.decided.has(gatewayId)) return;
  entry.decided.set(gatewayId, status);
  entry.quietSinceMs = nowMs;
  entry.waitMs = FIRST_READ_WAIT_MS;
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
