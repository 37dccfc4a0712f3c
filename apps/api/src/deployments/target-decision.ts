import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import type { Event } from '../events/event.schema';
import type { RecordEventInput } from '../events/events.service';
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
  return new Types.ObjectId(
    createHash('sha256')
      .update(`outcome:${String(target._id)}`)
      .digest('hex')
      .slice(0, 24),
  );
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

/** The decision an outcome event recorded, to apply in place of one that came second. */
export function recordedOutcome(target: StoredTarget, event: Pick<Event, 'type' | 'details'>): TargetChange {
  const { reason, reportedVersion } = event.details;
  return {
    target,
    status: event.type === 'upgrade.confirmed' ? 'confirmed' : 'failed',
    reason: FAILURE_REASONS.includes(reason as FailureReason) ? (reason as FailureReason) : null,
    reportedVersion: typeof reportedVersion === 'string' ? reportedVersion : null,
    decidedHere: false,
  };
}
