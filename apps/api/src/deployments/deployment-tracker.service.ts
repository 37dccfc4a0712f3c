import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Counter, Gauge } from 'prom-client';
import type { Model } from 'mongoose';
import type { Subscription } from 'rxjs';
import { z } from 'zod';
import { ClusterBus } from '../cluster/cluster-bus.service';
import { insertOnce } from '../database/insert-once';
import { EventsService } from '../events/events.service';
import { GatewaysStore } from '../gateways/gateways.store';
import { LiveEventsService, type LiveEvent } from '../live/live-events.service';
import { MetricsService } from '../metrics/metrics.service';
import { DeploymentTarget } from './deployment-target.schema';
import { Deployment } from './deployment.schema';
import { DeploymentTargetsStore, listsTargets, TARGETS_SHAPE_FIELDS, type TargetsShape } from './deployment-targets.store';
import { settleEarlierDeployments } from './earlier-deployments';
import { PendingTargets, type StoredTarget } from './pending-targets';
import { settleCandidates, type SettleCursor } from './settle-candidates';
import { confirmedPerCompany, decisionOf, outcomeEvent, recordedOutcome, unappliedDecisions, type TargetChange } from './target-decision';
import { decisionDocument } from './target-decision-documents';
import { StatusDecisions, upgradeOf } from './status-decisions';
import { isListedTarget } from './target-lists';
import { transitionOnStatus, transitionOnTime, type TargetTransition } from './target-outcome';

export type { StoredTarget } from './pending-targets';
export type { TargetChange } from './target-decision';
export { StatusDecisions } from './status-decisions';

/** What a gateway's Status says, as the deployment tracker needs it. */
export interface StatusReport {
  gatewayId: string;
  version: string;
  receivedAt: Date;
  sentAt: Date;
}

// Other processes hear of a new deployment's targets on the cluster bus, before its Upgrade goes out.
const TARGETS_ADDED = 'deployment-targets-added';
const targetsAddedSchema = z.object({ deploymentId: z.string().regex(/^[0-9a-f]{24}$/) });
// Raised (by whichever process decides) once a target's decision is applied.
export const TARGET_UPDATED = 'deployment.target-updated';

/**
 * Told of decided targets once their decisions (outcome events) are recorded and before the
 * gateways' copy of them is written (protocol v2 ends its offers there). Throwing leaves the targets
 * pending, to be decided again: the recorded decision is then applied once more.
 */
export type TargetDecisionListener = (changes: readonly TargetChange[]) => Promise<void>;

/**
 * Moves deployment targets out of pending: confirmed or failed by a Status, failed by time-out,
 * by a newer deployment or by a failed publish, whichever API process handles it.
 *
 * A decision is the insert of the target's outcome event under an `_id` derived from the target
 * (see target-decision.ts): the first insert wins, in any process. A deployment's targets are
 * listed (one document per 1,000, see DeploymentTargetsStore) and that event is a listed target's
 * decision as read; nothing else is written about the target (a target of an earlier version's
 * deployment also gets its decision document, target-decision-documents.ts). A decision found
 * already recorded is replaced by the recorded one, and its effects (the decision listeners, then
 * the gateway's copy, then the live event) are written again, each idempotent. The gateway's copy,
 * written after the listeners, shows that a decision was applied: a process that died between
 * recording a decision and writing its copy leaves a decided target whose gateway's copy is still
 * pending (or older than the deployment), and the decision is applied again when a process loads
 * the open deployments and before the sweep marks its deployment settled (applyAgain). The
 * happy path costs what one process did alone: the same bulk writes by `_id`.
 *
 * Each process keeps the pending targets in memory, so the Status of a gateway with nothing
 * pending costs no query: loaded at start, completed by its own deployments and by those other
 * processes announce on the cluster bus, thinned by every process's live `target-updated` events.
 */
@Injectable()
export class DeploymentTracker implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeploymentTracker.name);
  // Transitions of this process run one at a time, so its Statuses wait for a deployment being started.
  private lock: Promise<unknown> = Promise.resolve();
  private readonly pending = new PendingTargets();
  private loaded = false;
  // Other processes' deployments being read: a Status that arrived after their announcement waits for them.
  private learning: Promise<void> = Promise.resolve();
  private decidedElsewhere: Subscription | null = null;
  private readonly transitions: Counter<'status' | 'reason'>;
  private readonly alreadyDecided: Counter;
  private readonly decisionListeners: TargetDecisionListener[] = [];

  constructor(
    @InjectModel(DeploymentTarget.name) private readonly targets: Model<DeploymentTarget>,
    @InjectModel(Deployment.name) private readonly deployments: Model<Deployment>,
    private readonly targetsStore: DeploymentTargetsStore,
    private readonly gateways: GatewaysStore,
    private readonly events: EventsService,
    private readonly live: LiveEventsService,
    private readonly bus: ClusterBus,
    metrics: MetricsService,
  ) {
    this.transitions = metrics.counter({
      name: 'um_deployment_target_transitions_total',
      help: 'Deployment targets leaving pending, by new status and reason',
      labelNames: ['status', 'reason'],
    });
    this.alreadyDecided = metrics.counter({
      name: 'um_deployment_target_decisions_found_recorded_total',
      help: 'Target decisions another API process (or an earlier try) had already recorded; its decision was applied instead',
    });
    const pendingGauge: Gauge = metrics.gauge({
      name: 'um_deployment_targets_pending',
      help: 'Deployment targets waiting for their gateway, as this API process knows them',
      collect: () => pendingGauge.set(this.pending.size),
    });
  }

  onModuleInit(): void {
    this.bus.on(TARGETS_ADDED, targetsAddedSchema, ({ deploymentId }, origin) => {
      if (origin === this.bus.instanceId) return;
      const learnt = this.learning.then(() => this.exclusive(() => this.learnDeployment(deploymentId)));
      this.learning = learnt.catch((error: Error) =>
        this.logger.warn(`Deployment ${deploymentId} not learnt (its targets are decided at their deadline): ${error.message}`),
      );
    });
    this.decidedElsewhere = this.live.all$.subscribe((event) => {
      if (event.type !== TARGET_UPDATED) return;
      const { deploymentId, gatewayId } = event.data;
      if (typeof deploymentId !== 'string' || typeof gatewayId !== 'string') return;
      this.pending.remove(this.pending.ofDeployment(deploymentId, [gatewayId]));
    });
  }

  onApplicationBootstrap(): void {
    this.exclusive(() => this.ensureLoaded()).catch((error: Error) =>
      this.logger.warn(`Pending targets not loaded yet, retried on first use: ${error.message}`),
    );
  }

  onModuleDestroy(): void {
    this.decidedElsewhere?.unsubscribe();
  }

  /**
   * Makes the targets of a new deployment (listed by its creator, see DeploymentTargetsStore.insert) the pending ones of their gateways
   * (earlier pending targets of those gateways fail as superseded), tells the other processes,
   * then calls `publish` (not waited for), which writes the gateways' pending copy.
   */
  startDeployment(targets: readonly StoredTarget[], upgrade: { deploymentId: string }, publish: () => void): Promise<void> {
    return this.exclusive(async () => {
      await this.ensureLoaded();
      const superseded = targets.flatMap(({ gatewayId }) => {
        const earlier = this.pending.of(gatewayId);
        return earlier && earlier.deploymentId !== upgrade.deploymentId ? [earlier] : [];
      });
      await this.decide(superseded.map((target) => failure(target, 'superseded')));
      this.pending.add(targets);
      // On the connection the Upgrade goes out on, before it: every process knows the targets before any Status about them.
      this.bus
        .publish(TARGETS_ADDED, { deploymentId: upgrade.deploymentId })
        .catch((error: Error) => this.logger.warn(`Deployment ${upgrade.deploymentId} not announced: ${error.message}`));
      publish();
    });
  }

  /**
   * Decides what a batch of Statuses means for the pending targets of their gateways and records
   * it; returns the decisions without applying them. The caller writes the gateways' copy of their
   * upgrade with their Status, then calls `settle` (or `release` on the decisions when its write
   * failed: the batch is retried and finds its decisions recorded). This process's other
   * transitions wait until then. Throws when the database does.
   */
  async decideOnStatuses(reports: readonly StatusReport[]): Promise<StatusDecisions> {
    await this.learning;
    const release = await this.acquire();
    try {
      await this.ensureLoaded();
      const candidates = reports.flatMap((report) => {
        const target = this.pending.of(report.gatewayId);
        const transition = target && transitionOnStatus(target, report);
        return transition ? [{ target, ...transition }] : [];
      });
      const decided = await this.record(candidates);
      // Told before the caller writes the gateways' copy with their Status (see `unapplied`).
      await this.tell(decided);
      return new StatusDecisions(decided, release);
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Applies decisions whose listeners were told and gateways' copy the caller has written (live events); returns how many were decided here. */
  async settle(decisions: StatusDecisions): Promise<number> {
    try {
      return await this.apply(decisions.changes, { toldAndWritten: true });
    } finally {
      decisions.release();
    }
  }

  /**
   * Fails every pending target whose deadline has passed (run by the holder of the sweep's lease).
   * The gateway's stored Status has the last word: one that confirmed the target but met a process
   * that did not know of it yet confirms it now.
   */
  failOverdue(now = new Date()): Promise<number> {
    return this.exclusive(async () => {
      await this.ensureLoaded();
      const changes: TargetChange[] = [];
      const overdue = this.pending.overdue(now);
      if (overdue.length === 0) return 0;
      // One read of the overdue gateways' Statuses (lists of ids), not one each.
      const statuses = await this.gateways.reportedStatuses(overdue.map((target) => target.gatewayId));
      for (const target of overdue) {
        const gateway = statuses.get(target.gatewayId);
        const reported =
          gateway?.version && gateway.lastSeenAt ? transitionOnStatus(target, { version: gateway.version, receivedAt: gateway.lastSeenAt }) : null;
        const timedOut = transitionOnTime(target, now);
        if (reported?.status === 'confirmed') changes.push({ target, ...reported });
        else if (timedOut) changes.push({ target, ...timedOut });
      }
      return this.decide(changes);
    });
  }

  /** Targets whose Upgrade could not be handed to the broker. */
  failUnpublished(deploymentId: string, gatewayIds: readonly string[]): Promise<number> {
    return this.exclusive(async () => {
      await this.ensureLoaded();
      const targets = this.pending.ofDeployment(deploymentId, gatewayIds);
      return this.decide(targets.map((target) => failure(target, 'publish-failed')));
    });
  }

  /** A protocol-v2 target's transition decided by its gateway's report (see transitionOnReport). */
  decideReported(deploymentId: string, gatewayId: string, transition: TargetTransition & { detail: string }): Promise<number> {
    return this.exclusive(async () => {
      await this.ensureLoaded();
      const targets = this.pending.ofDeployment(deploymentId, [gatewayId]);
      return this.decide(targets.map((target) => ({ target, ...transition })));
    });
  }

  /**
   * Marks deployments made before `createdBefore` (so past their targets' deadline) whose targets
   * are all decided as settled, at most `limit` a round (run by the sweep's lease holder); the
   * others' undecided targets become pending here, for the sweep to time out. Checks the
   * candidates after `after` (see settleCandidates); returns how many were marked and where the
   * next round goes on.
   */
  async markSettled(createdBefore: Date, limit: number, after: SettleCursor | null = null): Promise<{ marked: number; next: SettleCursor | null }> {
    const { candidates, next } = await settleCandidates(this.deployments, createdBefore, limit, after);
    let marked = 0;
    for (const { _id } of candidates) {
      const deployment = await this.deployments.findOne({ _id }, { ...TARGETS_SHAPE_FIELDS, companyIds: 1 }).lean<SettledShape>();
      if (!deployment) continue;
      const targets = await this.targetsStore.currentOf([deployment]);
      const undecided = targets.filter((target) => target.status === 'pending');
      if (undecided.length === 0) {
        // A decision recorded by a process that stopped before writing its effects is applied first.
        const unapplied = await this.unapplied(targets);
        if (unapplied.length > 0) await this.exclusive(() => this.applyAgain(unapplied));
        // No decision is ever taken back: read all decided, the deployment stays so.
        const counts = listsTargets(deployment) ? { companyConfirmedCounts: confirmedPerCompany(deployment.companyIds, targets) } : {};
        const { modifiedCount } = await this.deployments.updateOne({ _id, settled: { $ne: true } }, { $set: { settled: true, ...counts } });
        marked += modifiedCount;
        continue;
      }
      // Missed by this process (one decided meanwhile is found recorded when timed out, and stays as recorded).
      await this.exclusive(async () => {
        await this.ensureLoaded();
        const unknown = undecided.filter((target) => !this.pending.of(target.gatewayId)?._id.equals(target._id));
        await this.decide(this.pending.add(unknown).map((target) => failure(target, 'superseded')));
      });
    }
    return { marked, next };
  }

  /** The pending targets of one deployment that this process knows of. */
  pendingOf(deploymentId: string, gatewayIds: readonly string[]): StoredTarget[] {
    return this.pending.ofDeployment(deploymentId, gatewayIds);
  }

  /** Told of decided targets before the targets are written (see TargetDecisionListener). */
  onDecisions(listener: TargetDecisionListener): void {
    this.decisionListeners.push(listener);
  }

  private async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }

  // Resolves, in call order, once the transitions before are done, with the function that ends this one.
  private acquire(): Promise<() => void> {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const turn = this.lock.then(() => release);
    this.lock = turn.then(() => done);
    return turn;
  }

  private async ensureLoaded(): Promise<void> {
    if (this.loaded) return;
    const settledEarlier = await settleEarlierDeployments(this.deployments, this.targets);
    if (settledEarlier > 0) this.logger.log(`${settledEarlier} deployment(s) of an earlier version marked settled`);
    const open = await this.deployments.find({ settled: { $ne: true } }, TARGETS_SHAPE_FIELDS).lean<TargetsShape[]>();
    const current = await this.targetsStore.currentOf(open);
    const stored = current.filter((target) => target.status === 'pending').sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    this.pending.clear();
    const superseded = this.pending.add(stored);
    this.loaded = true;
    // Only an interrupted deployment leaves two pending targets for one gateway; the newer one counts.
    await this.decide(superseded.map((target) => failure(target, 'superseded')));
    if (stored.length > 0) this.logger.log(`${this.pending.size} deployment target(s) pending`);
    // Left to the sweep's settle check when this fails (see markSettled).
    await this.unapplied(current)
      .then((unapplied) => this.applyAgain(unapplied))
      .catch((error: Error) => this.logger.warn(`Recorded decisions not checked for being applied: ${error.message}`));
  }

  // Another process's deployment: its targets become known here before its Upgrade goes out.
  private async learnDeployment(deploymentId: string): Promise<void> {
    await this.ensureLoaded();
    const stored = await this.targetsStore.undecidedOf([deploymentId]);
    // The process that started it fails what it supersedes; here they only leave memory.
    this.pending.add(stored);
  }

  private async decide(changes: TargetChange[]): Promise<number> {
    return this.apply(await this.record(changes));
  }

  /**
   * Records the decisions (their outcome events, first insert wins); returns what was decided,
   * each target once: this process's decision, or the one recorded before it.
   */
  private async record(changes: readonly TargetChange[]): Promise<TargetChange[]> {
    if (changes.length === 0) return [];
    const found = await this.events.recordOnce(changes.map(outcomeEvent));
    if (found.size === 0) return changes.map((change) => ({ ...change, decidedHere: true }));
    this.alreadyDecided.inc(found.size);
    const earlier = await this.events.findByIds(changes.filter((_, index) => found.has(index)).map((change) => outcomeEvent(change).id));
    const byId = new Map(earlier.map((event) => [event._id.toHexString(), event]));
    return changes.flatMap((change, index) => {
      if (!found.has(index)) return [{ ...change, decidedHere: true }];
      const event = byId.get(outcomeEvent(change).id.toHexString());
      return event ? [recordedOutcome(change.target, event)] : [];
    });
  }

  // The effects of recorded decisions, each idempotent: the listeners, then the gateway copy (a
  // superseded target's gateway already shows the newer deployment), the decision document of an
  // earlier version's target, the live event. `toldAndWritten`: the caller did the first two.
  // `again`: decisions applied again after a stop, whose gateway copy replaces only an older one.
  private async apply(changes: readonly TargetChange[], { toldAndWritten = false, again = false } = {}): Promise<number> {
    if (changes.length === 0) return 0;
    if (!toldAndWritten) {
      await this.tell(changes);
      await this.gateways.setUpgradeOutcomes(
        changes.filter(({ reason }) => reason !== 'superseded').map((change) => ({ gatewayId: change.target.gatewayId, upgrade: upgradeOf(change) })),
        { overOlderOnly: again },
      );
    }
    // A listed target's decision is its outcome event (see DeploymentTargetsStore).
    const decidedAt = new Date();
    await insertOnce(
      this.targets,
      changes.filter(({ target }) => !isListedTarget(target)).map((change) => decisionDocument(change, decidedAt)),
    );
    this.pending.remove(changes.map(({ target }) => target));
    // One bus message per LIVE_EVENTS_PER_MESSAGE targets, not one each: every process parses every bus message.
    const events: LiveEvent[] = [];
    for (const { target, status, reason, reportedVersion, decidedHere } of changes) {
      if (decidedHere) this.transitions.inc({ status, reason: reason ?? 'none' });
      events.push({
        type: TARGET_UPDATED,
        companyId: target.companyId,
        data: { deploymentId: target.deploymentId, gatewayId: target.gatewayId, version: target.version, status, reason, reportedVersion },
      });
    }
    this.live.publishAll(events);
    return changes.filter((change) => change.decidedHere).length;
  }

  private async tell(changes: readonly TargetChange[]): Promise<void> {
    if (changes.length === 0) return;
    for (const listener of this.decisionListeners) await listener(changes);
  }

  /**
   * The decided targets among these (of listed deployments, decided by their outcome event) whose
   * decision a process recorded and stopped before applying: their gateway's copy does not show it
   * (see unappliedDecisions).
   */
  private async unapplied(targets: readonly StoredTarget[]): Promise<StoredTarget[]> {
    const decided = targets.filter((target) => target.status !== 'pending' && isListedTarget(target));
    if (decided.length === 0) return [];
    return unappliedDecisions(decided, await this.gateways.upgradeCopies(decided.map((target) => target.gatewayId)));
  }

  // Decided targets (as read) whose decision is applied again; a newer deployment's copy of a gateway stays.
  private async applyAgain(decided: readonly StoredTarget[]): Promise<void> {
    if (decided.length === 0) return;
    this.logger.warn(`${decided.length} recorded target decision(s) applied again (an API process stopped before applying them)`);
    await this.apply(
      decided.map((target) => ({ target, ...decisionOf(target), decidedHere: false })),
      { again: true },
    );
  }
}

/** What a deployment needs to be marked settled. */
type SettledShape = TargetsShape & Pick<Deployment, 'companyIds'>;

/** A target that failed for a reason of its own, not for a version a gateway reported. */
function failure(target: StoredTarget, reason: 'superseded' | 'publish-failed'): TargetChange {
  return { target, status: 'failed', reason, reportedVersion: null };
}
