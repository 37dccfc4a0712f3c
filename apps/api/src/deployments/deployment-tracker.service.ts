import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Counter } from 'prom-client';
import type { Model, Types } from 'mongoose';
import { EventsService, type RecordEventInput } from '../events/events.service';
import { Gateway } from '../gateways/gateway.schema';
import { LiveEventsService } from '../live/live-events.service';
import { MetricsService } from '../metrics/metrics.service';
import { DeploymentTarget } from './deployment-target.schema';
import { transitionOnStatus, transitionOnTime, type TargetTransition } from './target-outcome';

/** What a gateway's Status says, as the deployment tracker needs it. */
export interface StatusReport {
  gatewayId: string;
  version: string;
  receivedAt: Date;
}

export type StoredTarget = DeploymentTarget & { _id: Types.ObjectId; createdAt: Date };

export interface TargetChange extends TargetTransition {
  target: StoredTarget;
}

const SWEEP_BATCH = 500;

/**
 * Moves deployment targets out of pending: confirmed or failed by a Status, failed by time-out,
 * by a newer deployment or by a failed publish. Every transition is persisted on the target and
 * on the gateway, recorded in the event log and published live.
 */
@Injectable()
export class DeploymentTracker {
  // Transitions run one at a time, so a Status and the time-out sweep never both decide one target.
  private lock: Promise<unknown> = Promise.resolve();
  private readonly transitions: Counter<'status' | 'reason'>;

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
  }

  /** Applies a batch of Status reports to the pending targets of their gateways. Throws when the database does. */
  resolveStatuses(reports: readonly StatusReport[]): Promise<number> {
    if (reports.length === 0) return Promise.resolve(0);
    return this.exclusive(async () => {
      const byGateway = new Map(reports.map((report) => [report.gatewayId, report]));
      const pending = await this.targets.find({ gatewayId: { $in: [...byGateway.keys()] }, status: 'pending' }).lean<StoredTarget[]>();
      const changes: TargetChange[] = [];
      for (const target of pending) {
        const report = byGateway.get(target.gatewayId);
        const transition = report && transitionOnStatus(target, report);
        if (transition) changes.push({ target, ...transition });
      }
      return this.apply(changes);
    });
  }

  /** Fails every pending target whose deadline has passed. */
  failOverdue(now = new Date()): Promise<number> {
    return this.exclusive(async () => {
      let total = 0;
      for (;;) {
        const overdue = await this.targets.find({ status: 'pending', deadline: { $lte: now } }).limit(SWEEP_BATCH).lean<StoredTarget[]>();
        const changes = overdue.flatMap((target) => {
          const transition = transitionOnTime(target, now);
          return transition ? [{ target, ...transition }] : [];
        });
        total += await this.apply(changes);
        if (overdue.length < SWEEP_BATCH) return total;
      }
    });
  }

  /** A new deployment to a gateway ends its earlier pending ones. */
  supersede(gatewayIds: readonly string[], deploymentId: string): Promise<number> {
    return this.failPending({ gatewayId: { $in: gatewayIds }, deploymentId: { $ne: deploymentId } }, 'superseded');
  }

  /** Targets whose Upgrade could not be handed to the broker. */
  failUnpublished(deploymentId: string, gatewayIds: readonly string[]): Promise<number> {
    return this.failPending({ deploymentId, gatewayId: { $in: gatewayIds } }, 'publish-failed');
  }

  private failPending(filter: Record<string, unknown>, reason: 'superseded' | 'publish-failed'): Promise<number> {
    return this.exclusive(async () => {
      const pending = await this.targets.find({ ...filter, status: 'pending' }).lean<StoredTarget[]>();
      return this.apply(pending.map((target) => ({ target, status: 'failed', reason, reportedVersion: null })));
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work);
    this.lock = run.catch(() => undefined);
    return run;
  }

  // The gateway copy is written first: if the target write then fails, the target is still
  // pending and a retry redoes both. Changes alike (a rollout confirming hundreds of targets)
  // go out as one statement each, not one per target.
  private async apply(changes: TargetChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    const groups = groupChanges(changes);
    for (const { deploymentId, status, changes: members } of groups) {
      await this.gateways.updateMany(
        { _id: { $in: members.map(({ target }) => target.gatewayId) }, 'upgrade.deploymentId': deploymentId },
        { $set: { 'upgrade.status': status } },
      );
    }
    for (const { status, reason, reportedVersion, changes: members } of groups) {
      await this.targets.updateMany({ _id: { $in: members.map(({ target }) => target._id) }, status: 'pending' }, { $set: { status, reason, reportedVersion } });
    }

    const events: RecordEventInput[] = changes.map(({ target, status, reason, reportedVersion }) => ({
      type: status === 'confirmed' ? 'upgrade.confirmed' : 'upgrade.failed',
      companyId: target.companyId,
      actor: null,
      gatewayId: target.gatewayId,
      details: { deploymentId: target.deploymentId, version: target.version, ...(reason ? { reason } : {}), ...(reportedVersion ? { reportedVersion } : {}) },
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

interface ChangeGroup extends TargetTransition {
  deploymentId: string;
  changes: TargetChange[];
}

/** Changes that write the same values, together. */
export function groupChanges(changes: readonly TargetChange[]): ChangeGroup[] {
  const groups = new Map<string, ChangeGroup>();
  for (const change of changes) {
    const { target, status, reason, reportedVersion } = change;
    const key = JSON.stringify([target.deploymentId, status, reason, reportedVersion]);
    const group = groups.get(key) ?? { deploymentId: target.deploymentId, status, reason, reportedVersion, changes: [] };
    group.changes.push(change);
    groups.set(key, group);
  }
  return [...groups.values()];
}
