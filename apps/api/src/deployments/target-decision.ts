import { hash } from 'node:crypto';
import { Types } from 'mongoose';
import type { Event } from '../events/event.schema';
import type { GatewayUpgrade } from '../gateways/gateway.schema';
import { OUTCOME_EVENT_TYPES, type OutcomeEventFields, type RecordEventInput } from '../events/events.service';
import { FAILURE_REASONS, type FailureReason } from './deployment-target.schema';
import type { StoredTarget } from './pending-targets';
import type { TargetTransition } from './target-outcome';

export interface TargetChange extends TargetTransition {
  target: StoredTarget;
  /** What the gateway said, for the event log. */
  detail?: string;
  /** Decided by this call (false: recorded before, by another process or an earlier try). */
  decidedHere?: boolean;
}

/**
 * The `_id` of a target's outcome event: the same whoever decides and however often, so the
 * database's unique `_id` lets exactly one decision about a target be recorded.
 */
export function outcomeEventId(target: Pick<StoredTarget, '_id'>): Types.ObjectId {
  // crypto.hash: the digest of createHash('sha256').update(data).digest('hex'), in one call (see targetId).
  return new Types.ObjectId(hash('sha256', `outcome:${String(target._id)}`, 'hex').slice(0, 24));
}

/** The event that records a decision (and, by its `_id`, makes it the only one). */
export function outcomeEvent({ target, status, reason, reportedVersion, detail }: TargetChange): RecordEventInput & { id: Types.ObjectId } {
  return {
    id: outcomeEventId(target),
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
  };
}

/** The status an outcome event decided. */
export function outcomeStatus(event: Pick<Event, 'type'>): 'confirmed' | 'failed' {
  return event.type === 'upgrade.confirmed' ? 'confirmed' : 'failed';
}

/** The decision an outcome event recorded, to apply in place of one that came second. */
export function recordedOutcome(target: StoredTarget, event: Pick<Event, 'type' | 'details'>): TargetChange {
  const { reason, reportedVersion } = event.details;
  return {
    target,
    status: outcomeStatus(event),
    reason: FAILURE_REASONS.includes(reason as FailureReason) ? (reason as FailureReason) : null,
    reportedVersion: typeof reportedVersion === 'string' ? reportedVersion : null,
    decidedHere: false,
  };
}

/**
 * A listed target as its outcome event decided it (the event is the decision, see
 * DeploymentTargetsStore); the target itself when the event is not an outcome.
 */
export function decidedTarget(target: StoredTarget, event: OutcomeEventFields): StoredTarget {
  if (!(OUTCOME_EVENT_TYPES as readonly string[]).includes(event.type)) return target;
  const { status, reason, reportedVersion } = recordedOutcome(target, event);
  return { ...target, status, reason: reason ?? null, reportedVersion: reportedVersion ?? null, updatedAt: event.at };
}

/** The decision of a decided target (as read, see decidedTarget). */
export function decisionOf(target: Pick<StoredTarget, 'status' | 'reason' | 'reportedVersion'>): TargetTransition {
  return { status: target.status === 'confirmed' ? 'confirmed' : 'failed', reason: target.reason ?? null, reportedVersion: target.reportedVersion ?? null };
}

/**
 * The decided targets whose decision a process recorded (its outcome event) and stopped before
 * applying: the gateway's copy of its upgrade (written after the decision listeners) is still this
 * deployment's pending copy, or older than this deployment. A gateway that shows a newer deployment
 * (this target was superseded, or decided before it) or that is gone needs nothing.
 */
export function unappliedDecisions(decided: readonly StoredTarget[], copies: ReadonlyMap<string, GatewayUpgrade | null>): StoredTarget[] {
  return decided.filter((target) => {
    if (!copies.has(target.gatewayId)) return false;
    const copy = copies.get(target.gatewayId) ?? null;
    if (copy?.deploymentId === target.deploymentId) return copy.status === 'pending';
    return copy === null || !copy.startedAt || copy.startedAt.getTime() < target.createdAt.getTime();
  });
}

/** Confirmed targets per company, in the order of `companyIds`. */
export function confirmedPerCompany(companyIds: readonly string[], targets: readonly Pick<StoredTarget, 'companyId' | 'status'>[]): number[] {
  const position = new Map(companyIds.map((companyId, index) => [companyId, index]));
  const counts = companyIds.map(() => 0);
  for (const { companyId, status } of targets) {
    const index = position.get(companyId);
    if (status === 'confirmed' && index !== undefined) counts[index] += 1;
  }
  return counts;
}
