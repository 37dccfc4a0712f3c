import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Counter, Gauge } from 'prom-client';
import type { Model } from 'mongoose';
import { chunkedBulkWrite } from '../database/chunked-bulk-write';
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

/**
 * Told of decided targets before they are recorded (protocol v2 ends its offers there). Throwing
 * leaves the targets pending, to be decided again.
 */
export type TargetDecisionListener = (changes: readonly TargetChange[]) => Promise<void>;

export interface TargetChange extends TargetTransition {
  target: StoredTarget;
  /** What the gateway said, for the event log. */
  detail?: string;
}

/**
 * Moves deployment targets out of pending: confirmed or failed by a Status, failed by time-out,
 * by a newer deployment or by a failed publish. Every transition is persisted on the target and
 * on the gateway, recorded in the event log and published live.
 *
 * The pending targets are also kept in memory (loaded from the database on first use), so the
 * Status of a gateway with nothing pending costs no query and every write addresses documents by
 * `_id`. This makes the tracker the only writer of target state: one API process per database.
 */
@Injectable()
export class DeploymentTracker implements OnApplicationBootstrap {
  private readonly logger = new Logger(DeploymentTracker.name);
  // Transitions run one at a time, so a Status and the time-out sweep never both decide one target.
  private lock: Promise<unknown> = Promise.resolve();
  private readonly pending = new PendingTargets();
  private loaded = false;
  private readonly transitions: Counter<'status' | 'reason'>;
  private readonly decisionListeners: TargetDecisionListener[] = [];

  constructor(
    @InjectModel(DeploymentTarget.name) private readonly targets: Model<DeploymentTarget>,
    @InjectModel(Gateway.name) private readonly gateways: Model<Gateway>,
    private readonly events: EventsService,
    private readonly live: LiveEventsService,
    metrics: MetricsService,
  ) {
    this.transitions = metrics.counter({
      name: 'um_deployment_target_transitions_total',
      help: 'Deployment targets leaving pending, by new status and reason',
      labelNames: ['status', 'reason'],
    });
    const pendingGauge: Gauge = metrics.gauge({
      name: 'um_deployment_targets_pending',
      help: 'Deployment targets waiting for their gateway',
      collect: () => pendingGauge.set(this.pending.size),
    });
  }

  onApplicationBootstrap(): void {
    this.exclusive(() => this.ensureLoaded()).catch((error: Error) =>
      this.logger.warn(`Pending targets not loaded yet, retried on first use: ${error.message}`),
    );
  }

  /**
   * Persists the targets of a new deployment and makes them the pending ones of their gateways
   * (earlier pending targets of those gateways fail as superseded), then calls `publish`. The
   * gateways' copy of the upgrade is written after publishing, so gateways start downloading
   * while the fleet's documents are updated; Statuses wait for it, as for every transition. Should
   * that write fail, the first Status of each gateway writes its copy again.
   */
  startDeployment(targets: readonly StoredTarget[], upgrade: { deploymentId: string; version: string }, publish: () => void): Promise<void> {
    return this.exclusive(async () => {
      await this.ensureLoaded();
      await this.targets.insertMany(targets, { ordered: false, lean: true });
      const superseded = targets.flatMap(({ gatewayId }) => {
        const earlier = this.pending.of(gatewayId);
        return earlier && earlier.deploymentId !== upgrade.deploymentId ? [earlier] : [];
      });
      await this.apply(superseded.map((target) => failure(target, 'superseded')));
      this.pending.add(targets);
      publish();
      const pendingUpgrade = { ...upgrade, status: 'pending' };
      await chunkedBulkWrite(
        this.gateways,
        targets.map(({ gatewayId }) => ({ updateOne: { filter: { _id: gatewayId }, update: { $set: { upgrade: pendingUpgrade } } } })),
      );
    });
  }

  /**
   * Applies a batch of Status reports to the pending targets of their gateways. `writeGateways`
   * persists the batch's gateway updates together with the upgrade state decided here (one write
   * per gateway) and returns the gateways the database refused, whose targets stay pending.
   * Throws when the database does; nothing is decided then.
   */
  resolveStatuses(
    reports: readonly StatusReport[],
    writeGateways: (upgrades: ReadonlyMap<string, GatewayUpgrade>) => Promise<ReadonlySet<string>>,
  ): Promise<number> {
    return this.exclusive(async () => {
      await this.ensureLoaded();
      const decided = reports.flatMap((report) => {
        const target = this.pending.of(report.gatewayId);
        const transition = target && transitionOnStatus(target, report);
        return transition ? [{ target, ...transition }] : [];
      });
      const refused = await writeGateways(new Map(decided.map((change) => [change.target.gatewayId, upgradeOf(change)])));
      return this.apply(
        decided.filter(({ target }) => !refused.has(target.gatewayId)),
        { gatewaysWritten: true },
      );
    });
  }

  /** Fails every pending target whose deadline has passed. */
  failOverdue(now = new Date()): Promise<number> {
    return this.exclusive(async () => {
      await this.ensureLoaded();
      const changes = this.pending.overdue(now).flatMap((target) => {
        const transition = transitionOnTime(target, now);
        return transition ? [{ target, ...transition }] : [];
      });
      return this.apply(changes);
    });
  }

  /** Targets whose Upgrade could not be handed to the broker. */
  failUnpublished(deploymentId: string, gatewayIds: readonly string[]): Promise<number> {
    return this.exclusive(async () => {
      await this.ensureLoaded();
      const targets = this.pending.ofDeployment(deploymentId, gatewayIds);
      return this.apply(targets.map((target) => failure(target, 'publish-failed')));
    });
  }

  /** A protocol-v2 target that reported `failed` or `rejected` (docs/protocol-v2.md); `detail` is its reason. */
  failReported(deploymentId: string, gatewayId: string, reason: 'install-failed' | 'rejected', detail: string): Promise<number> {
    return this.exclusive(async () => {
      await this.ensureLoaded();
      const targets = this.pending.ofDeployment(deploymentId, [gatewayId]);
      return this.apply(targets.map((target) => ({ target, status: 'failed', reason, reportedVersion: null, detail })));
    });
  }

  onDecisions(listener: TargetDecisionListener): void {
    this.decisionListeners.push(listener);
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async ensureLoaded(): Promise<void> {
    if (this.loaded) return;
    const stored = await this.targets.find({ status: 'pending' }).sort({ createdAt: 1 }).lean<StoredTarget[]>();
    this.pending.clear();
    const superseded = this.pending.add(stored);
    this.loaded = true;
    // Only an interrupted deployment leaves two pending targets for one gateway; the newer one counts.
    await this.apply(superseded.map((target) => failure(target, 'superseded')));
    if (stored.length > 0) this.logger.log(`${this.pending.size} deployment target(s) pending`);
  }

  // The gateway copy is written first: if the target write then fails, the target is still
  // pending and a retry redoes both. A superseded target's gateway already shows the newer
  // deployment, so only the target changes. Every statement addresses one document by _id.
  private async apply(changes: TargetChange[], { gatewaysWritten = false } = {}): Promise<number> {
    if (changes.length === 0) return 0;
    if (!gatewaysWritten) {
      await chunkedBulkWrite(
        this.gateways,
        changes
          .filter(({ reason }) => reason !== 'superseded')
          .map((change) => ({ updateOne: { filter: { _id: change.target.gatewayId }, update: { $set: { upgrade: upgradeOf(change) } } } })),
      );
    }
    for (const listener of this.decisionListeners) await listener(changes);
    await chunkedBulkWrite(
      this.targets,
      changes.map(({ target, status, reason, reportedVersion }) => ({
        updateOne: { filter: { _id: target._id }, update: { $set: { status, reason, reportedVersion } } },
      })),
    );
    this.pending.remove(changes.map(({ target }) => target));

    const events: RecordEventInput[] = changes.map(({ target, status, reason, reportedVersion, detail }) => ({
      type: status === 'confirmed' ? 'upgrade.confirmed' : 'upgrade.failed',
      companyId: target.companyId,
      actor: null,
      gatewayId: target.gatewayId,
      details: {
        deploymentId: target.deploymentId,
        version: target.version,
        ...(reason ? { reason } : {}),
        ...(reportedVersion ? { reportedVersion } : {}),
        ...(detail ? { detail } : {}),
      },
    }));
    await this.events.recordMany(events);
    for (const { target, status, reason, reportedVersion } of changes) {
      this.transitions.inc({ status, reason: reason ?? 'none' });
      this.live.publish({
        type: 'deployment.target-updated',
        companyId: target.companyId,
        data: { deploymentId: target.deploymentId, gatewayId: target.gatewayId, version: target.version, status, reason, reportedVersion },
      });
    }
    return changes.length;
  }
}

function upgradeOf({ target, status }: TargetChange): GatewayUpgrade {
  return { version: target.version, status, deploymentId: target.deploymentId };
}

/** A target that failed for a reason of its own, not for a version a gateway reported. */
function failure(target: StoredTarget, reason: 'superseded' | 'publish-failed'): TargetChange {
  return { target, status: 'failed', reason, reportedVersion: null };
}
