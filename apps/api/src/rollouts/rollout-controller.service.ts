import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Counter, Histogram } from 'prom-client';
import type { Model } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { tenantScopeOf, type Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { DeploymentsService } from '../deployments/deployments.service';
import { GatewaySelectionService } from '../gateways/gateway-selection.service';
import { LeaseService } from '../cluster/lease.service';
import { MetricsService } from '../metrics/metrics.service';
import { isWindowOpen } from './maintenance-window';
import { countTargets, decideRollout, sumCounts, type RolloutDecision } from './rollout-decision';
import type { StoredRollout } from './rollout.mapper';
import { retryDelayMs } from './rollout-plan';
import type { RolloutTarget } from './rollout-target.schema';
import { RolloutTargetsStore, type TargetSnapshot } from './rollout-targets.store';
import { Rollout } from './rollout.schema';
import { newTarget, RolloutsService } from './rollouts.service';

const TICK_INTERVAL_MS = 1000;
// Most targets one tick starts, so that one deployment (and one tick) stays bounded.
const TICK_START_MAX = 1000;
const PACE_WINDOW_MS = 60_000;
// A claimed target whose deployment was never recorded (its controller died in between) is
// failed after this, never started again: nothing is sent twice.
const STARTING_STALE_MS = 60_000;
const JOIN_SCAN_INTERVAL_MS = 5_000;

type Outcome = { target: TargetSnapshot; status: 'confirmed' | 'failed'; reason: string | null };

/**
 * Moves rollouts on, one tick at a time: collects the outcome of started targets from their
 * deployments, evaluates abort criteria and phase thresholds, lets new gateways join continuous
 * rollouts, and starts the next targets within pace and window. Everything it knows is read from
 * the database at each tick and every change is conditional on what it read, so ticks of several
 * processes (or one restarted mid-way) never start a target twice.
 */
export const ROLLOUT_CONTROLLER_LEASE = 'rollout-controller';

@Injectable()
export class RolloutController implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RolloutController.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly started: Counter<'outcome'>;
  private readonly tickSeconds: Histogram;
  private readonly tickCpuSeconds: Counter;

  constructor(
    @InjectModel(Rollout.name) private readonly rollouts: Model<Rollout>,
    private readonly targets: RolloutTargetsStore,
    private readonly selection: GatewaySelectionService,
    private readonly deployments: DeploymentsService,
    private readonly rolloutsService: RolloutsService,
    private readonly leases: LeaseService,
    metrics: MetricsService,
  ) {
    this.started = metrics.counter({
      name: 'um_rollout_targets_started_total',
      help: 'Rollout targets handed to a deployment, or skipped',
      labelNames: ['outcome'],
    });
    this.tickSeconds = metrics.histogram({
      name: 'um_rollout_tick_seconds',
      help: 'Duration of one rollout controller tick',
      buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.tickCpuSeconds = metrics.counter({
      name: 'um_rollout_tick_cpu_seconds_total',
      help: "The API process's CPU time while rollout ticks ran (an upper bound of the controller's: other work interleaves)",
    });
  }

  // Ticks in the holder of the lease only: safe in every process, but one ticking is enough.
  onApplicationBootstrap(): void {
    this.leases.run(ROLLOUT_CONTROLLER_LEASE, {
      start: () => {
        this.timer ??= setInterval(() => this.runTick(), TICK_INTERVAL_MS);
      },
      stop: () => this.onApplicationShutdown(),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private runTick(): void {
    if (this.running) return;
    const stop = this.tickSeconds.startTimer();
    const cpuBefore = process.cpuUsage();
    this.running = this.tick()
      .catch((error: Error) => this.logger.warn(`Rollout tick failed, retried next round: ${error.message}`))
      .finally(() => {
        stop();
        const cpu = process.cpuUsage(cpuBefore);
        this.tickCpuSeconds.inc((cpu.user + cpu.system) / 1e6);
        this.running = null;
      });
  }

  /** One round over every rollout that still has something to do. */
  async tick(now = new Date()): Promise<void> {
    const open = await this.rollouts.find({ settled: false }).lean<StoredRollout[]>();
    for (const rollout of open) {
      await this.step(rollout, now).catch((error: Error) => this.logger.warn(`Rollout ${rollout._id.toString()}: ${error.message}`));
    }
  }

  private async step(rollout: StoredRollout, now: Date): Promise<void> {
    const id = rollout._id.toString();
    // One read of every target answers the tick's questions; read again only after it decided some.
    let targets = await this.targets.snapshot(id);
    let phaseCounts = countTargets(targets, rollout.phases.length);
    const recovered = await this.failStaleClaims(targets, now);
    const decided = await this.collectOutcomes(rollout, targets, now);
    if (recovered + decided > 0) {
      this.rolloutsService.publishUpdate(rollout);
      targets = await this.targets.snapshot(id);
      phaseCounts = countTargets(targets, rollout.phases.length);
    }

    if (['aborted', 'cancelled', 'finished'].includes(rollout.state)) {
      const total = sumCounts(phaseCounts);
      if (total.starting + total.pending === 0) {
        await this.rollouts.updateOne({ _id: rollout._id, state: rollout.state }, { $set: { settled: true } });
        await this.targets.forgetClaims(id);
      }
      return;
    }
    if (rollout.state === 'paused' || rollout.state === 'waiting-approval') return;
    if (rollout.state === 'running') {
      const decision = decideRollout({ ...rollout, phases: phaseCounts, abort: rollout.abort ?? null });
      if (decision.kind !== 'continue') {
        await this.apply(rollout, decision, now);
        return;
      }
    }
    if (rollout.continuous) await this.joinNewGateways(rollout, now);
    if (!isWindowOpen(rollout.window ?? null, now)) return;
    let current = rollout;
    if (rollout.state === 'scheduled') {
      const startedRollout = await this.rollouts
        .findOneAndUpdate({ _id: rollout._id, state: 'scheduled' }, { $set: { state: 'running', startedAt: now, 'phases.0.startedAt': now } }, { new: true })
        .lean<StoredRollout>();
      if (!startedRollout) return;
      current = startedRollout;
      this.rolloutsService.publishUpdate(current);
    }
    const waiting = phaseCounts.slice(0, current.currentPhase + 1).reduce((sum, counts) => sum + counts.waiting, 0);
    if (waiting > 0 || current.continuous) await this.startTargets(current, targets, now);
  }

  private async apply(rollout: StoredRollout, decision: Exclude<RolloutDecision, { kind: 'continue' }>, now: Date): Promise<void> {
    const phase = rollout.currentPhase;
    const from = { _id: rollout._id, state: 'running', currentPhase: phase };
    const set: Record<string, unknown> =
      decision.kind === 'abort'
        ? { state: 'aborted', stateReason: decision.reason, finishedAt: now }
        : decision.kind === 'finish'
          ? { state: 'finished', stateReason: null, finishedAt: now, [`phases.${phase}.finishedAt`]: now }
          : decision.kind === 'advance'
            ? { currentPhase: phase + 1, [`phases.${phase}.finishedAt`]: now, [`phases.${phase + 1}.startedAt`]: now }
            : { state: 'waiting-approval', stateReason: decision.reason, ...(decision.phaseDone ? { [`phases.${phase}.finishedAt`]: now } : {}) };
    const updated = await this.rollouts.findOneAndUpdate(from, { $set: set }, { new: true }).lean<StoredRollout>();
    if (!updated) return;
    const id = rollout._id.toString();
    this.logger.log(`Rollout ${id}: ${decision.kind}${'reason' in decision ? ` (${decision.reason})` : ''}`);
    if (decision.kind === 'abort' || decision.kind === 'finish') {
      await this.rolloutsService.recordEvent(decision.kind === 'abort' ? 'rollout.aborted' : 'rollout.finished', rollout, null, id, {
        version: rollout.version,
        phase: phase + 1,
        ...('reason' in decision ? { reason: decision.reason } : {}),
      });
    }
    this.rolloutsService.publishUpdate(updated);
  }

  private async failStaleClaims(targets: readonly TargetSnapshot[], now: Date): Promise<number> {
    const staleBefore = now.getTime() - STARTING_STALE_MS;
    const stale = targets.filter((target) => target.state === 'starting' && target.startedAt !== null && target.startedAt.getTime() < staleBefore);
    if (stale.length === 0) return 0;
    await this.targets.updateGrouped(
      stale.map((target) => ({
        id: target._id,
        condition: { state: 'starting', claim: target.claim },
        set: { state: 'failed', reason: 'interrupted before its deployment was recorded', decidedAt: now },
      })),
    );
    return stale.length;
  }

  /**
   * Decides the pending targets whose deployment has decided them. The gateways' own copy of their
   * latest deployment answers most cheaply; the deployment is asked when it disagrees or failed.
   */
  private async collectOutcomes(rollout: StoredRollout, targets: readonly TargetSnapshot[], now: Date): Promise<number> {
    const pending = targets.filter((target) => target.state === 'pending');
    if (pending.length === 0) return 0;
    const upgrades = await this.selection.upgradesOfDeployments([...new Set(pending.map((target) => target.deploymentId ?? ''))]);
    const outcomes: Outcome[] = [];
    const toAsk = new Map<string, TargetSnapshot[]>();
    for (const target of pending) {
      const upgrade = upgrades.get(target.gatewayId);
      if (upgrade && upgrade.deploymentId === target.deploymentId && upgrade.status !== 'failed') {
        if (upgrade.status === 'confirmed') outcomes.push({ target, status: 'confirmed', reason: null });
        continue;
      }
      const deploymentId = target.deploymentId ?? '';
      toAsk.set(deploymentId, [...(toAsk.get(deploymentId) ?? []), target]);
    }
    for (const [deploymentId, targets] of toAsk) {
      const states = new Map(
        (
          await this.deployments.targetStates(
            deploymentId,
            targets.map((target) => target.gatewayId),
          )
        ).map((state) => [state.gatewayId, state]),
      );
      for (const target of targets) {
        const state = states.get(target.gatewayId);
        if (!state || state.status === 'pending') continue;
        const reason = state.status === 'failed' ? [state.reason ?? 'failed', state.reportedVersion].filter(Boolean).join(' ') : null;
        outcomes.push({ target, status: state.status, reason });
      }
    }
    const retries = ['running', 'scheduled', 'waiting-approval', 'paused'].includes(rollout.state) ? rollout.retries : null;
    await this.targets.updateGrouped(
      outcomes.map(({ target, status, reason }) => {
        const retry = status === 'failed' && retries !== null && target.attempts <= retries.max;
        const set: Partial<RolloutTarget> = retry
          ? { state: 'waiting', reason, claim: null, retryAt: new Date(now.getTime() + retryDelayMs(retries.backoffSeconds, target.attempts)) }
          : { state: status, reason, decidedAt: now };
        return { id: target._id, condition: { state: 'pending', deploymentId: target.deploymentId }, set };
      }),
    );
    return outcomes.length;
  }

  /** Continuous rollouts: gateways that match the filter now and are not targets yet join the last phase. */
  private async joinNewGateways(rollout: StoredRollout, now: Date): Promise<void> {
    if (rollout.joinScannedAt && now.getTime() - rollout.joinScannedAt.getTime() < JOIN_SCAN_INTERVAL_MS) return;
    const claimed = await this.rollouts.updateOne({ _id: rollout._id, joinScannedAt: rollout.joinScannedAt ?? null }, { $set: { joinScannedAt: now } });
    if (claimed.modifiedCount === 0) return;
    const rolloutId = rollout._id.toString();
    const [matching, existing] = await Promise.all([
      this.selection.select({ companyId: rollout.companyId ?? null }, rollout.filter),
      this.targets.gatewayIdsOf(rolloutId),
    ]);
    const last = rollout.phases.length - 1;
    const fresh = matching.filter((gateway) => !existing.has(gateway.gatewayId));
    if (fresh.length === 0) return;
    const inserted = await this.targets.insert(fresh.map((gateway, index) => newTarget(rolloutId, gateway, last, existing.size + index, 0)));
    if (inserted > 0) {
      await this.rollouts.updateOne({ _id: rollout._id }, { $inc: { targetCount: inserted } });
      this.logger.log(`Rollout ${rolloutId}: ${inserted} gateway(s) joined`);
      this.rolloutsService.publishUpdate(rollout);
    }
  }

  /** Claims the next eligible targets within the pace, then starts them as one deployment. */
  private async startTargets(rollout: StoredRollout, targets: readonly TargetSnapshot[], now: Date): Promise<void> {
    const rolloutId = rollout._id.toString();
    let budget = TICK_START_MAX;
    if (rollout.maxPerMinute) {
      const since = now.getTime() - PACE_WINDOW_MS;
      const recent = targets.filter((target) => target.startedAt !== null && target.startedAt.getTime() > since).length;
      budget = Math.min(budget, rollout.maxPerMinute - recent);
    }
    if (budget <= 0) return;
    const eligible = targets
      .filter((target) => target.state === 'waiting' && target.phase <= rollout.currentPhase)
      .sort((a, b) => a.order - b.order)
      .filter((target) => {
        if (target.retryAt) return target.retryAt <= now;
        const phaseStart = rollout.phases[target.phase]?.startedAt;
        return phaseStart != null && phaseStart.getTime() + (target.delayMs ?? 0) <= now.getTime();
      })
      .slice(0, budget);
    if (eligible.length === 0) return;

    const claim = randomUUID();
    const won = await this.targets.claimAttempts(rolloutId, eligible, claim);
    // Only the winner of a claim writes its target, so this update races with nobody.
    const modified = await this.targets.updateWhere(
      won,
      { state: 'waiting' },
      { $set: { state: 'starting', claim, startedAt: now, retryAt: null }, $inc: { attempts: 1 } },
    );
    // Every target won was written (the usual case): they are the eligible ones won; else ask which.
    const wonIds = new Set(won);
    const claimed: Pick<RolloutTarget, '_id' | 'gatewayId'>[] =
      modified === won.length ? eligible.filter((target) => wonIds.has(target._id)) : await this.targets.find({ rolloutId, claim }, { _id: 1, gatewayId: 1 });
    if (claimed.length === 0) return;
    const principal = creatorOf(rollout);
    const enabled = await this.selection.enabledOf(
      claimed.map((target) => target.gatewayId),
      tenantScopeOf(principal),
    );
    const skipped = claimed.filter((target) => !enabled.has(target.gatewayId));
    const toStart = claimed.filter((target) => enabled.has(target.gatewayId));
    await this.settleClaimed(skipped, claim, { state: 'skipped', reason: 'disabled or removed before its turn', decidedAt: now });
    this.started.inc({ outcome: 'skipped' }, skipped.length);
    if (toStart.length === 0) return;
    try {
      const deployment = await this.deployments.create(principal, { version: rollout.version, gatewayIds: toStart.map((target) => target.gatewayId) });
      await this.settleClaimed(toStart, claim, { state: 'pending', deploymentId: deployment.id });
      this.started.inc({ outcome: 'started' }, toStart.length);
    } catch (error) {
      const message = (error as Error).message;
      this.logger.warn(`Rollout ${rolloutId}: ${toStart.length} target(s) not started: ${message}`);
      await this.settleClaimed(toStart, claim, { state: 'failed', reason: `not started: ${message}`.slice(0, 300), decidedAt: now });
      this.started.inc({ outcome: 'failed' }, toStart.length);
      if (error instanceof DomainError && error.code === DomainErrorCode.NOT_FOUND && /^Version /.test(message)) {
        await this.apply(rollout, { kind: 'abort', reason: message }, now);
      }
    }
  }

  private async settleClaimed(targets: readonly Pick<RolloutTarget, '_id'>[], claim: string, set: Record<string, unknown>): Promise<void> {
    await this.targets.updateWhere(
      targets.map((target) => target._id),
      { state: 'starting', claim },
      { $set: set },
    );
  }
}

/** The rollout's deployments are made in its creator's name and within its creator's rights. */
function creatorOf(rollout: StoredRollout): Principal {
  const { userId, email, role, companyId } = rollout.createdBy;
  return { userId, email, role, companyId };
}
