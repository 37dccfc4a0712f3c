import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Counter, Histogram } from 'prom-client';
import { Types, type Model } from 'mongoose';
import { tenantScopeOf, type Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { DeploymentsService } from '../deployments/deployments.service';
import { GatewaySelectionService } from '../gateways/gateway-selection.service';
import { LeaseService } from '../cluster/lease.service';
import { MetricsService } from '../metrics/metrics.service';
import { DeploymentRolloutTargets } from './deployment-rollout-targets';
import { isWindowOpen } from './maintenance-window';
import { countTargets, decideRollout, openCount, storedCounts, sumCounts, type RolloutDecision } from './rollout-decision';
import type { StoredRollout } from './rollout.mapper';
import { RolloutOrderStore } from './rollout-order.store';
import { failureReason, RolloutOutcomes, type DeploymentOutcome } from './rollout-outcomes.service';
import { phaseAt } from './rollout-plan';
import { rolloutTargetId } from './rollout-target.schema';
import { RolloutTargetsStore, type TargetMove, type TargetSnapshot } from './rollout-targets.store';
import { RecountSchedule } from './recount-schedule';
import { Rollout } from './rollout.schema';
import { newTarget, RolloutsService } from './rollouts.service';

const TICK_INTERVAL_MS = 1000;
// Most targets one tick starts, so that one deployment (and one tick) stays bounded: under load,
// FerretDB takes tens of ms per statement of the deployment's bulk writes, and the first Upgrade
// goes out only after them.
const TICK_START_MAX = 250;
const PACE_WINDOW_MS = 60_000;
// A started target whose deployment never got it (its controller died in between) is failed
// after this, never started again: nothing is sent twice.
const STARTING_STALE_MS = 60_000;
const JOIN_SCAN_INTERVAL_MS = 5_000;

export const ROLLOUT_CONTROLLER_LEASE = 'rollout-controller';

/**
 * Moves rollouts on, one tick at a time: evaluates abort criteria and phase thresholds on the
 * counts kept in each rollout (RolloutOutcomes decides the targets as their deployments decide
 * them; a plain deployment's rollout is counted from its deployment, see DeploymentRolloutTargets),
 * lets new gateways join continuous rollouts, and starts the next targets within pace and window. Everything it knows is read from the database at each tick and every change is
 * conditional on what it read, so ticks of several processes (or one restarted mid-way) never
 * start a target twice.
 */
@Injectable()
export class RolloutController implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RolloutController.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly started: Counter<'outcome'>;
  private readonly tickSeconds: Histogram;
  private readonly tickCpuSeconds: Counter;
  private readonly recounts = new RecountSchedule();
  // Per rollout: no target outside the start order is due before this (a hint: read again after it).
  private readonly outsideNotBefore = new Map<string, number>();

  constructor(
    @InjectModel(Rollout.name) private readonly rollouts: Model<Rollout>,
    private readonly targets: RolloutTargetsStore,
    private readonly order: RolloutOrderStore,
    private readonly outcomes: RolloutOutcomes,
    private readonly deploymentTargets: DeploymentRolloutTargets,
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
      stop: async () => {
        await this.onApplicationShutdown();
        // Another process counts the plain deployments now: what this one followed would only linger.
        this.deploymentTargets.clear();
      },
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
    // The driver's read, not a Mongoose query: the same documents as `lean`, without its casting and hooks once a second.
    const open = await this.rollouts.collection.find<StoredRollout>({ settled: false }).toArray();
    for (const rollout of open) {
      await this.step(rollout, now).catch((error: Error) => this.logger.warn(`Rollout ${rollout._id.toString()}: ${error.message}`));
    }
  }

  /**
   * One rollout: its counts come from its document, the next targets from its start order, both
   * read by _id; the targets themselves are read (FerretDB scans for that) only by the recount.
   */
  private async step(stored: StoredRollout, now: Date): Promise<void> {
    const id = stored._id.toString();
    let rollout = stored;
    let phaseCounts = storedCounts(rollout.phases);
    if (rollout.targetsOfDeployment) {
      // Counted from its deployment's decisions: nothing to recount.
      phaseCounts = await this.deploymentTargets.counts(rollout, now);
    } else if (phaseCounts === null || this.recounts.due(id, rollout.countsVersion ?? 0, openCount(sumCounts(phaseCounts)), now.getTime())) {
      rollout = await this.recount(rollout, now);
      phaseCounts = storedCounts(rollout.phases) ?? (await this.targets.countsByPhase(id, rollout.phases.length));
      this.recounts.done(id, rollout.countsVersion ?? 0, now.getTime());
    }

    if (['aborted', 'cancelled', 'finished'].includes(rollout.state)) {
      const total = sumCounts(phaseCounts);
      if (total.starting + total.pending === 0) {
        await this.rollouts.updateOne({ _id: rollout._id, state: rollout.state }, { $set: { settled: true } });
        // A rollout of its deployment's targets has no start order, batches or turns.
        if (rollout.targetsOfDeployment) this.deploymentTargets.forget(rollout);
        else await this.order.forget(id);
        this.recounts.forget(id);
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
    if (waiting > 0 || current.continuous) await this.startTargets(current, waiting, now);
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

  /**
   * The safety net of the kept counts, run when a rollout with open targets has not moved for a
   * while (or has no counts yet): reads every target once, finishes what a process that died left
   * half done (outcomes not applied, targets claimed but never started), and sets the counts to
   * what the targets say unless something moved meanwhile. Returns the rollout as it is now.
   */
  private async recount(rollout: StoredRollout, now: Date): Promise<StoredRollout> {
    // Taken like a start, so that no start moves targets while the recount rewrites them.
    const token = `recount:${new Types.ObjectId().toString()}`;
    const turn = !startHeld(rollout, now) && (await this.takeTurn(rollout, now));
    const taken = !turn
      ? null
      : await this.rollouts.findOneAndUpdate(
          { _id: rollout._id, startSeq: rollout.startSeq ?? null },
          { $set: { startingId: token, startingAt: now }, $inc: { startSeq: 1 } },
          { new: true },
        );
    if (!taken) return rollout;
    try {
      return await this.recountTaken(rollout, now);
    } finally {
      await this.rollouts.updateOne({ _id: rollout._id, startingId: token }, { $set: { startingId: null }, $inc: { startSeq: 1 } });
    }
  }

  private async recountTaken(rollout: StoredRollout, now: Date): Promise<StoredRollout> {
    const id = rollout._id.toString();
    const targets = await this.targets.snapshot(id);
    const fixed = await this.finishInterrupted(rollout, targets, now);
    if (fixed === 0) {
      const counts = countTargets(targets, rollout.phases.length);
      const set = Object.fromEntries(counts.map((entry, phase) => [`phases.${phase}.counts`, entry]));
      // Applies only if no count moved since the rollout was read, before the targets were.
      await this.rollouts.updateOne({ _id: rollout._id, countsVersion: rollout.countsVersion ?? null }, { $set: set, $inc: { countsVersion: 1 } });
    } else {
      this.rolloutsService.publishUpdate(rollout);
    }
    return (await this.rollouts.findOne({ _id: rollout._id }).lean<StoredRollout>()) ?? rollout;
  }

  /** What the recount finds undone; returns how many targets it moved or made due. */
  private async finishInterrupted(rollout: StoredRollout, targets: readonly TargetSnapshot[], now: Date): Promise<number> {
    const staleBefore = now.getTime() - STARTING_STALE_MS;
    const isStale = (target: TargetSnapshot) => target.startedAt !== null && target.startedAt.getTime() < staleBefore;
    // Rollouts of earlier versions claimed targets as `starting` first.
    const staleStarting = targets.filter((target) => target.state === 'starting' && isStale(target));
    let fixed = await this.targets.transition(
      rollout._id,
      staleStarting.map((target) => ({
        id: target._id,
        phase: target.phase,
        from: 'starting',
        to: 'failed',
        condition: { claim: target.claim },
        set: { reason: INTERRUPTED, decidedAt: now },
      })),
    );
    fixed += await this.collectOutcomes(rollout, targets, isStale, now);
    // First attempts the start order passed without starting them (their controller died after moving it on): due now.
    const passed = targets.filter(
      (target) => target.state === 'waiting' && target.attempts === 0 && target.retryAt === null && target.order < (rollout.nextPosition ?? 0),
    );
    await this.targets.setWhere(
      passed.map((target) => target._id),
      { state: 'waiting', attempts: 0, retryAt: null },
      { retryAt: now },
    );
    return fixed + passed.length;
  }

  /**
   * Pending targets whose outcome was not applied: the gateways' own copy of their latest
   * deployment answers most cheaply; the deployment is asked when it disagrees or failed. A target
   * whose deployment never got it (its controller died before the deployment was made) fails.
   */
  private async collectOutcomes(
    rollout: StoredRollout,
    targets: readonly TargetSnapshot[],
    isStale: (target: TargetSnapshot) => boolean,
    now: Date,
  ): Promise<number> {
    const pending = targets.filter((target) => target.state === 'pending');
    if (pending.length === 0) return 0;
    const upgrades = await this.selection.upgradesOfDeployments([...new Set(pending.map((target) => target.deploymentId ?? ''))]);
    const byDeployment = new Map<string, DeploymentOutcome[]>();
    const toAsk = new Map<string, TargetSnapshot[]>();
    const add = (deploymentId: string, outcome: DeploymentOutcome) => appendTo(byDeployment, deploymentId, outcome);
    for (const target of pending) {
      const deploymentId = target.deploymentId ?? '';
      const upgrade = upgrades.get(target.gatewayId);
      if (upgrade && upgrade.deploymentId === deploymentId && upgrade.status !== 'failed') {
        if (upgrade.status === 'confirmed') add(deploymentId, { gatewayId: target.gatewayId, status: 'confirmed', reason: null });
        continue;
      }
      appendTo(toAsk, deploymentId, target);
    }
    const neverStarted: TargetMove[] = [];
    for (const [deploymentId, asked] of toAsk) {
      const states = new Map(
        (
          await this.deployments.targetStates(
            deploymentId,
            asked.map((target) => target.gatewayId),
          )
        ).map((state) => [state.gatewayId, state]),
      );
      for (const target of asked) {
        const state = states.get(target.gatewayId);
        if (!state) {
          if (isStale(target))
            neverStarted.push({
              id: target._id,
              phase: target.phase,
              from: 'pending',
              to: 'failed',
              condition: { deploymentId },
              set: { reason: INTERRUPTED, decidedAt: now },
            });
          continue;
        }
        if (state.status === 'pending') continue;
        const reason = state.status === 'failed' ? failureReason(state.reason, state.reportedVersion) : null;
        add(deploymentId, { gatewayId: target.gatewayId, status: state.status, reason });
      }
    }
    let decided = await this.targets.transition(rollout._id, neverStarted);
    for (const [deploymentId, outcomes] of byDeployment) decided += await this.outcomes.apply(deploymentId, outcomes, now);
    return decided;
  }

  /** Continuous rollouts: gateways that match the filter now and are not targets yet join the last phase, due at once. */
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
    const joined = fresh.map((gateway, index) => ({ ...newTarget(rolloutId, gateway, last, existing.size + index, 0), retryAt: now }));
    const inserted = await this.targets.addWaiting(rollout._id, last, joined);
    if (inserted > 0) {
      this.logger.log(`Rollout ${rolloutId}: ${inserted} gateway(s) joined`);
      this.rolloutsService.publishUpdate(rollout);
    }
  }

  /**
   * Starts the next targets within the pace as one deployment: first attempts from the start order
   * (from `nextPosition`, while their delay has passed), then targets due outside it (retries,
   * joined gateways, passed ones). Moving `nextPosition` on (with `startSeq`) is the compare-and-set
   * that makes this controller the only one starting these targets; each target then moves from
   * `waiting` at the attempt it was read at, naming the deployment, before the deployment is made.
   */
  private async startTargets(rollout: StoredRollout, waiting: number, now: Date): Promise<void> {
    const rolloutId = rollout._id.toString();
    const since = now.getTime() - PACE_WINDOW_MS;
    const recentStarts = (rollout.recentStarts ?? []).filter((start) => new Date(start.at).getTime() > since);
    let budget = TICK_START_MAX;
    if (rollout.maxPerMinute) budget = Math.min(budget, rollout.maxPerMinute - recentStarts.reduce((sum, start) => sum + start.count, 0));
    if (budget <= 0) return;
    // Another controller is moving its targets: counts and positions read now may be stale.
    if (startHeld(rollout, now)) return;

    const ends = rollout.phases.map((phase) => phase.end);
    const currentEnd = ends[rollout.currentPhase] ?? 0;
    const nextPosition = rollout.nextPosition ?? 0;
    const slots = nextPosition < currentEnd ? await this.order.read(rolloutId, nextPosition, Math.min(currentEnd, nextPosition + budget)) : [];
    const dueSlots: Candidate[] = [];
    for (const slot of slots) {
      const phase = phaseAt(slot.position, ends);
      const phaseStart = rollout.phases[phase]?.startedAt;
      if (phaseStart == null || phaseStart.getTime() + slot.delayMs > now.getTime()) break;
      dueSlots.push({ id: rolloutTargetId(rolloutId, slot.gatewayId), gatewayId: slot.gatewayId, phase, attempts: 0 });
    }
    const outside = waiting - Math.max(0, currentEnd - nextPosition);
    const due = outside > 0 && dueSlots.length < budget ? await this.dueOutsideOrder(rollout, budget - dueSlots.length, now) : [];
    const candidates = [...dueSlots, ...due];
    if (candidates.length === 0) return;

    if (!(await this.takeTurn(rollout, now))) return;
    const deploymentId = new Types.ObjectId().toString();
    const won = await this.rollouts.updateOne(
      { _id: rollout._id, startSeq: rollout.startSeq ?? null, nextPosition: rollout.nextPosition ?? null },
      {
        $set: {
          nextPosition: nextPosition + dueSlots.length,
          recentStarts: [...recentStarts, { at: now, count: candidates.length }],
          startingId: deploymentId,
          startingAt: now,
        },
        $inc: { startSeq: 1 },
      },
    );
    if (won.modifiedCount === 0) return;
    await this.moveToPending(rollout, candidates, deploymentId, now, (ours) => this.deploy(rollout, ours, deploymentId, now)).finally(() =>
      this.rollouts.updateOne({ _id: rollout._id, startingId: deploymentId }, { $set: { startingId: null }, $inc: { startSeq: 1 } }),
    );
  }

  /**
   * Skips the candidates no longer enabled, moves the others to pending on `deploymentId` and hands
   * those it moved to `deploy` before counting them: a target counts as pending once its deployment
   * exists (one left pending without it by a process that died fails as interrupted, see recount).
   */
  private async moveToPending(
    rollout: StoredRollout,
    candidates: Candidate[],
    deploymentId: string,
    now: Date,
    deploy: (ours: Candidate[]) => Promise<void>,
  ): Promise<void> {
    const rolloutId = rollout._id.toString();

    const principal = creatorOf(rollout);
    const enabled = await this.selection.enabledOf(
      candidates.map((target) => target.gatewayId),
      tenantScopeOf(principal),
    );
    const skipped = candidates.filter((target) => !enabled.has(target.gatewayId));
    const skippedCount = await this.targets.transition(
      rollout._id,
      skipped.map((target) => ({ ...moveFromWaiting(target), to: 'skipped', set: { reason: 'disabled or removed before its turn', decidedAt: now } })),
    );
    this.started.inc({ outcome: 'skipped' }, skippedCount);
    const toStart = candidates.filter((target) => enabled.has(target.gatewayId));
    if (toStart.length === 0) return;

    await this.order.recordBatch({
      _id: deploymentId,
      rolloutId,
      gatewayIds: toStart.map((target) => target.gatewayId),
      phases: toStart.map((target) => target.phase),
      attempts: toStart.map((target) => target.attempts + 1),
    });
    const start = { to: 'pending' as const, set: { deploymentId, claim: deploymentId, startedAt: now, retryAt: null }, incAttempts: true };
    await this.targets.transition(
      rollout._id,
      toStart.map((target) => ({ ...moveFromWaiting(target), ...start })),
      async (moved) => {
        // Every target moved (the usual case); else only those now naming this deployment are ours.
        const ours =
          moved === toStart.length
            ? toStart
            : await this.targets.byIds(toStart.map((target) => target.id)).then((found) => {
                const mine = new Set(found.filter((target) => target.deploymentId === deploymentId).map((target) => target._id));
                return toStart.filter((target) => mine.has(target.id));
              });
        if (ours.length > 0) await deploy(ours);
      },
    );
  }

  /** This controller's turn at the rollout as read (see RolloutOrderStore.takeTurn). */
  private takeTurn(rollout: StoredRollout, now: Date): Promise<boolean> {
    return this.order.takeTurn(rollout._id.toString(), rollout.startSeq ?? 0, now, new Date(now.getTime() - STARTING_STALE_MS));
  }

  private async deploy(rollout: StoredRollout, ours: Candidate[], deploymentId: string, now: Date): Promise<void> {
    const rolloutId = rollout._id.toString();
    const principal = creatorOf(rollout);
    try {
      await this.deployments.create(principal, { version: rollout.version, gatewayIds: ours.map((target) => target.gatewayId) }, { id: deploymentId });
      this.started.inc({ outcome: 'started' }, ours.length);
    } catch (error) {
      const message = (error as Error).message;
      this.logger.warn(`Rollout ${rolloutId}: ${ours.length} target(s) not started: ${message}`);
      const failed = await this.targets.transition(
        rollout._id,
        ours.map((target) => ({
          id: target.id,
          phase: target.phase,
          from: 'pending',
          to: 'failed',
          condition: { deploymentId },
          set: { reason: `not started: ${message}`.slice(0, 300), decidedAt: now },
        })),
      );
      this.started.inc({ outcome: 'failed' }, failed);
      if (error instanceof DomainError && error.code === DomainErrorCode.NOT_FOUND && /^Version /.test(message)) {
        await this.apply(rollout, { kind: 'abort', reason: message }, now);
      }
    }
  }

  /**
   * Waiting targets outside the start order (retries, joined gateways) in the phases begun, due
   * now, oldest first. FerretDB scans the targets for this: after a read that found none due, the
   * next waits until the earliest one it saw is due.
   */
  private async dueOutsideOrder(rollout: StoredRollout, limit: number, now: Date): Promise<Candidate[]> {
    const rolloutId = rollout._id.toString();
    const notBefore = this.outsideNotBefore.get(rolloutId);
    if (notBefore !== undefined && notBefore > now.getTime()) return [];
    const found = await this.targets.find(
      { rolloutId, state: 'waiting', retryAt: { $ne: null }, phase: { $lte: rollout.currentPhase } },
      { _id: 1, gatewayId: 1, phase: 1, attempts: 1, retryAt: 1 },
      { sort: { retryAt: 1 }, limit: Math.max(limit, 1) + 1 },
    );
    const due = found.filter((target) => target.retryAt !== null && target.retryAt <= now).slice(0, limit);
    const later = found.find((target) => target.retryAt !== null && target.retryAt > now)?.retryAt;
    if (due.length === 0 && later) this.outsideNotBefore.set(rolloutId, later.getTime());
    else this.outsideNotBefore.delete(rolloutId);
    return due.map((target) => ({ id: target._id, gatewayId: target.gatewayId, phase: target.phase, attempts: target.attempts }));
  }
}

/** A target the controller is about to start, as read (its attempts are the condition of the move). */
interface Candidate {
  id: string;
  gatewayId: string;
  phase: number;
  attempts: number;
}

const INTERRUPTED = 'interrupted before its deployment was recorded';

function moveFromWaiting(target: Candidate): Pick<TargetMove, 'id' | 'phase' | 'from' | 'condition'> {
  return { id: target.id, phase: target.phase, from: 'waiting', condition: { attempts: target.attempts } };
}

/** The rollout's deployments are made in its creator's name and within its creator's rights. */
function creatorOf(rollout: StoredRollout): Principal {
  const { userId, email, role, companyId } = rollout.createdBy;
  return { userId, email, role, companyId };
}

/** Another controller is moving the rollout's targets (a start or recount not yet stale). */
function startHeld(rollout: StoredRollout, now: Date): boolean {
  return Boolean(rollout.startingId) && rollout.startingAt != null && rollout.startingAt.getTime() > now.getTime() - STARTING_STALE_MS;
}

/** Appends to the list under `key` in place (a copy per append would be quadratic in a recount of 10,000 targets). */
function appendTo<T>(lists: Map<string, T[]>, key: string, value: T): void {
  const list = lists.get(key);
  if (list) list.push(value);
  else lists.set(key, [value]);
}
