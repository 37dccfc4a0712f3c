import { Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { createHash } from 'node:crypto';
import type { Counter, Gauge } from 'prom-client';
import { Types, type Model } from 'mongoose';
import { z } from 'zod';
import { ClusterBus } from '../cluster/cluster-bus.service';
import { chunkedBulkWrite } from '../database/chunked-bulk-write';
import { conditionalUpdates } from '../database/conditional-updates';
import { EventsService, type RecordEventInput } from '../events/events.service';
import { Gateway, type GatewayUpgrade } from '../gateways/gateway.schema';
import { LiveEventsService } from '../live/live-events.service';
import { MetricsService } from '../metrics/metrics.service';
import { DeploymentTarget } from './deployment-target.schema';
import { PendingTargets, type StoredTarget } from './pending-targets';
import { transitionOnStatus, transitionOnTime, type TargetTransition } from './target-outcome';

export type { StoredTarget } from './pending-targets';

/** What a gateway's Status says, as the deployment tracker needs it. */
export interface StatusReport {
  gatewayId: string;
  version: string;
  receivedAt: Date;
}

export interface TargetChange extends TargetTransition {
  target: StoredTarget;
}

// Other processes hear of a new deployment's targets through the cluster bus, before its Upgrade.
const TARGETS_ADDED = 'deployment-targets-added';
const targetsAddedSchema = z.object({ deploymentId: z.string().regex(/^[0-9a-f]{24}$/) });
// A decided target whose effects are not recorded this long after is finished by the sweep.
const UNRECORDED_GRACE_MS = 30_000;
const SWEEP_BATCH = 500;

/**
 * Moves deployment targets out of pending: confirmed or failed by a Status, failed by time-out,
 * by a newer deployment or by a failed publish. Every decision is a conditional write on the
 * target (`_id` and status pending): whichever API process tries first decides, once. Its effects
 * follow (the gateway's copy, the event log, the live event) and are idempotent; a target whose
 * effects a dying process left unfinished stays `recorded: false` until the sweep finishes them.
 *
 * Each process keeps the pending targets it knows of in memory, so that the Status of a gateway
 * with nothing pending costs no query and every write addresses documents by `_id`: loaded at
 * start, completed by its own deployments and by those other processes announce on the bus.
 */
@Injectable()
export class DeploymentTracker implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(DeploymentTracker.name);
  private readonly pending = new PendingTargets();
  // Resolves once the pending targets are loaded; Statuses wait for it.
  private loading: Promise<void> | null = null;
  // Other processes' deployments being read: a Status that arrived after their announcement waits for them.
  private learning: Promise<void> = Promise.resolve();
  private readonly transitions: Counter<'status' | 'reason'>;
  private readonly lostDecisions: Counter;

  constructor(
    @InjectModel(DeploymentTarget.name) private readonly targets: Model<DeploymentTarget>,
    @InjectModel(Gateway.name) private readonly gateways: Model<Gateway>,
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
    this.lostDecisions = metrics.counter({
      name: 'um_deployment_target_decisions_lost_total',
      help: 'Target decisions another API process (or an earlier one of this) had already taken',
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
      const learnt = this.learning.then(() => this.learnDeployment(deploymentId));
      this.learning = learnt.catch((error: Error) => this.logger.warn(`Deployment ${deploymentId} not learnt (its Statuses are checked at its deadline): ${error.message}`));
      return learnt;
    });
  }

  onApplicationBootstrap(): void {
    this.ensureLoaded().catch((error: Error) => this.logger.warn(`Pending targets not loaded yet, retried on first use: ${error.message}`));
  }

  /**
   * Persists the targets of a new deployment (unpublished, by `publisher`), fails the earlier
   * pending targets of its gateways as superseded (`superseded`: their ids, from the gateways'
   * copies and this process's knowledge) and tells the other processes, then calls `publish`
   * without waiting for it: it resolves with the gateways whose Upgrade the broker did not take.
   */
  async startDeployment(
    targets: readonly StoredTarget[],
    upgrade: { deploymentId: string; version: string },
    superseded: readonly (string | Types.ObjectId)[],
    publish: () => Promise<readonly string[]>,
  ): Promise<void> {
    await this.ensureLoaded();
    await this.targets.insertMany(targets, { ordered: false, lean: true });
    const earlier = new Map(superseded.map((id) => [String(id), id]));
    for (const { gatewayId } of targets) {
      const known = this.pending.of(gatewayId);
      if (known && known.deploymentId !== upgrade.deploymentId) earlier.set(String(known._id), known._id);
    }
    await this.decideByIds([...earlier.values()], { status: 'failed', reason: 'superseded', reportedVersion: null });
    this.pending.add(targets);
    // Published before the Upgrade on the same connection: every process knows the targets before any Status about them.
    this.bus.publish(TARGETS_ADDED, { deploymentId: upgrade.deploymentId }).catch((error: Error) => this.logger.warn(`Deployment ${upgrade.deploymentId} not announced: ${error.message}`));
    const published = publish();
    const pendingUpgrade = { ...upgrade, status: 'pending' };
    // Gateways that confirmed already (the Upgrade went out before this write) keep their outcome.
    await chunkedBulkWrite(
      this.gateways,
      targets.map(({ gatewayId }) => ({
        updateOne: { filter: { _id: gatewayId, 'upgrade.deploymentId': { $ne: upgrade.deploymentId } }, update: { $set: { upgrade: pendingUpgrade } } },
      })),
    );
    void published.then(
      (failed) => this.afterPublish(targets, failed),
      (error: Error) => this.logger.error(`Deployment ${upgrade.deploymentId}: publishing failed: ${error.message}`),
    );
  }

  /**
   * Applies a batch of Status reports to the pending targets of their gateways. `writeGateways`
   * persists the batch's gateway updates together with the upgrade state decided here (one write
   * per gateway). Throws when the database does; the batch is then retried, and a decision already
   * taken by this batch is recognised as its own.
   */
  async resolveStatuses(reports: readonly StatusReport[], writeGateways: (upgrades: ReadonlyMap<string, GatewayUpgrade>) => Promise<unknown>): Promise<number> {
    await this.ensureLoaded();
    await this.learning;
    const candidates = reports.flatMap((report) => {
      const target = this.pending.of(report.gatewayId);
      const transition = target && transitionOnStatus(target, report);
      return transition ? [{ target, ...transition }] : [];
    });
    const decided = await this.decide(candidates);
    await writeGateways(new Map(decided.map((change) => [change.target.gatewayId, upgradeOf(change)])));
    await this.record(decided, { gatewaysWritten: true });
    return decided.length;
  }

  /** Fails every pending target whose deadline has passed and finishes decisions left unrecorded; run under a lease. */
  async sweep(now = new Date()): Promise<number> {
    const found = await this.targets
      .find({
        $or: [
          { status: 'pending', deadline: { $lte: now } },
          { recorded: false, updatedAt: { $lte: new Date(now.getTime() - UNRECORDED_GRACE_MS) } },
        ],
      })
      .limit(SWEEP_BATCH)
      .lean<StoredTarget[]>();
    const overdue = found.filter((target) => target.status === 'pending');
    const unrecorded = found.filter((target) => target.status !== 'pending');
    if (unrecorded.length > 0) {
      this.logger.warn(`Finishing ${unrecorded.length} target decision(s) an API process left unrecorded`);
      await this.record(unrecorded.map((target) => ({ target, status: target.status as TargetChange['status'], reason: target.reason, reportedVersion: target.reportedVersion })));
    }
    const changes = await Promise.all(overdue.map((target) => this.decideAtDeadline(target, now)));
    const decided = await this.decide(changes);
    await this.record(decided);
    return decided.length;
  }

  // The last word before a time-out: the gateway's stored Status. A Status that confirmed the
  // target but met a process that did not know of it yet (a race this makes harmless) counts.
  private async decideAtDeadline(target: StoredTarget, now: Date): Promise<TargetChange> {
    const gateway = await this.gateways.findOne({ _id: target.gatewayId }, { version: 1, lastSeenAt: 1 }).lean<Pick<Gateway, 'version' | 'lastSeenAt'>>();
    const reported = gateway?.version && gateway.lastSeenAt ? transitionOnStatus(target, { version: gateway.version, receivedAt: gateway.lastSeenAt }) : null;
    if (reported?.status === 'confirmed') return { target, ...reported };
    return { target, ...(transitionOnTime(target, now) ?? { status: 'failed', reason: 'timeout', reportedVersion: null }) };
  }

  /** Targets whose Upgrade could not be handed to the broker. */
  async failUnpublished(targets: readonly StoredTarget[]): Promise<number> {
    const decided = await this.decide(targets.map((target) => failure(target, 'publish-failed')));
    await this.record(decided);
    return decided.length;
  }

  /** Marks targets published: their Upgrade is with the broker. */
  async markPublished(targets: readonly StoredTarget[]): Promise<void> {
    await chunkedBulkWrite(
      this.targets,
      targets.map(({ _id }) => ({ updateOne: { filter: { _id }, update: { $set: { published: true } } } })),
    );
  }

  /** Pending targets whose publisher is not among the live ones (it died before the broker took their Upgrade). */
  async findOrphanedUnpublished(livePublishers: ReadonlySet<string>): Promise<StoredTarget[]> {
    const unpublished = await this.targets.find({ status: 'pending', published: false }).lean<StoredTarget[]>();
    return unpublished.filter((target) => target.publisher === null || !livePublishers.has(target.publisher));
  }

  /** Re-publishes are by another process now: the targets are its. */
  async takeOverPublishing(targets: readonly StoredTarget[], publisher: string): Promise<void> {
    await chunkedBulkWrite(
      this.targets,
      targets.map(({ _id }) => ({ updateOne: { filter: { _id, status: 'pending' }, update: { $set: { publisher } } } })),
    );
  }

  private async afterPublish(targets: readonly StoredTarget[], failedGatewayIds: readonly string[]): Promise<void> {
    const failed = new Set(failedGatewayIds);
    try {
      await this.markPublished(targets.filter(({ gatewayId }) => !failed.has(gatewayId)));
      if (failed.size > 0) await this.failUnpublished(targets.filter(({ gatewayId }) => failed.has(gatewayId)));
    } catch (error) {
      // Left unpublished in the database: the lease holder re-sends them once this process is gone.
      this.logger.error(`Could not record the publishing of ${targets.length} target(s): ${(error as Error).message}`);
    }
  }

  private async ensureLoaded(): Promise<void> {
    this.loading ??= this.load().catch((error: unknown) => {
      this.loading = null;
      throw error;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const stored = await this.targets.find({ status: 'pending' }).sort({ createdAt: 1 }).lean<StoredTarget[]>();
    this.pending.clear();
    const superseded = this.pending.add(stored);
    // Only an interrupted deployment leaves two pending targets for one gateway; the newer one counts.
    await this.record(await this.decide(superseded.map((target) => failure(target, 'superseded'))));
    if (stored.length > 0) this.logger.log(`${this.pending.size} deployment target(s) pending`);
  }

  // Another process's deployment: its targets become known here before its Upgrade goes out.
  private async learnDeployment(deploymentId: string): Promise<void> {
    await this.ensureLoaded();
    const stored = await this.targets.find({ deploymentId, status: 'pending' }).lean<StoredTarget[]>();
    this.pending.add(stored);
  }

  private async decideByIds(ids: readonly (string | Types.ObjectId)[], transition: TargetTransition): Promise<void> {
    if (ids.length === 0) return;
    // One read at a time: thousands at once would take every connection of FerretDB's pool.
    const found: StoredTarget[] = [];
    for (const _id of ids) {
      const target = await this.targets.findOne({ _id, status: 'pending' }).lean<StoredTarget>();
      if (target) found.push(target);
    }
    await this.record(await this.decide(found.map((target) => ({ target, ...transition }))));
  }

  /**
   * The conditional writes: a change happens when its target is still pending, or is already in
   * exactly that state (this decision, retried: checked by `_id` for the few that did not match).
   * Returns the changes that happened; the others were decided otherwise by someone else and
   * leave this process's memory.
   */
  private async decide(changes: readonly TargetChange[]): Promise<TargetChange[]> {
    if (changes.length === 0) return [];
    // Only `_id` and the expected state: FerretDB looks up by `_id` only for such simple filters.
    const matched = await conditionalUpdates(
      this.targets,
      changes.map(({ target, status, reason, reportedVersion }) => ({
        filter: { _id: target._id, status: 'pending' },
        update: { $set: { status, reason, reportedVersion, recorded: false } },
      })),
      async (index) => {
        const { target, status, reason, reportedVersion } = changes[index];
        const stored = await this.targets.findOne({ _id: target._id }, { status: 1, reason: 1, reportedVersion: 1 }).lean<DeploymentTarget>();
        return stored?.status === status && stored.reason === reason && stored.reportedVersion === reportedVersion;
      },
    );
    const lost = changes.filter((_, index) => !matched[index]);
    this.lostDecisions.inc(lost.length);
    this.pending.remove(lost.map(({ target }) => target));
    return changes.filter((_, index) => matched[index]);
  }

  // The decision's effects, each idempotent: the gateway's copy (only where it still shows this
  // deployment), the event (fixed id), the live event; then the target is marked recorded.
  private async record(changes: readonly TargetChange[], { gatewaysWritten = false } = {}): Promise<void> {
    if (changes.length === 0) return;
    if (!gatewaysWritten) {
      await chunkedBulkWrite(
        this.gateways,
        changes
          .filter(({ reason }) => reason !== 'superseded')
          .map((change) => ({
            updateOne: { filter: { _id: change.target.gatewayId, 'upgrade.deploymentId': change.target.deploymentId }, update: { $set: { upgrade: upgradeOf(change) } } },
          })),
      );
    }
    const events: RecordEventInput[] = changes.map(({ target, status, reason, reportedVersion }) => ({
      id: outcomeEventId(target),
      type: status === 'confirmed' ? 'upgrade.confirmed' : 'upgrade.failed',
      companyId: target.companyId,
      actor: null,
      gatewayId: target.gatewayId,
      details: { deploymentId: target.deploymentId, version: target.version, ...(reason ? { reason } : {}), ...(reportedVersion ? { reportedVersion } : {}) },
    }));
    await this.events.recordMany(events);
    await chunkedBulkWrite(
      this.targets,
      changes.map(({ target }) => ({ updateOne: { filter: { _id: target._id }, update: { $set: { recorded: true } } } })),
    );
    this.pending.remove(changes.map(({ target }) => target));
    for (const { target, status, reason, reportedVersion } of changes) {
      this.transitions.inc({ status, reason: reason ?? 'none' });
      this.live.publish({
        type: 'deployment.target-updated',
        companyId: target.companyId,
        data: { deploymentId: target.deploymentId, gatewayId: target.gatewayId, version: target.version, status, reason, reportedVersion },
      });
    }
  }
}

function upgradeOf({ target, status }: TargetChange): GatewayUpgrade {
  return { version: target.version, status, deploymentId: target.deploymentId };
}

/** A target that failed for a reason of its own, not for a version a gateway reported. */
function failure(target: StoredTarget, reason: 'superseded' | 'publish-failed'): TargetChange {
  return { target, status: 'failed', reason, reportedVersion: null };
}

// One outcome event per target, whoever records it and however often.
function outcomeEventId(target: StoredTarget): Types.ObjectId {
  return new Types.ObjectId(createHash('sha256').update(`outcome:${String(target._id)}`).digest('hex').slice(0, 24));
}
