import { compareVersions } from '@upgrade-manager/frame-codec';
import type { ProgressState } from '@upgrade-manager/protocol-v2';
import type { FailureReason } from './deployment-target.schema';

export interface TargetTransition {
  status: 'confirmed' | 'failed';
  reason: FailureReason | null;
  reportedVersion: string | null;
}

export interface PendingTargetFacts {
  version: string;
  createdAt: Date;
  deadline: Date;
}

export interface StatusFacts {
  version: string;
  receivedAt: Date;
  /** When the gateway sent it (its frame's second, see statusSentAt); unknown for a stored Status. */
  sentAt?: Date;
}

/**
 * What a gateway's Status means for its pending target: the deployed version confirms it, another
 * version fails it. A Status received before the deployment existed says nothing about it, nor does
 * one of another version sent in an earlier second than the deployment was made: it was on its way
 * (queued in the broker while the API restarted, or late in a busy batch) and answers nothing.
 */
export function transitionOnStatus(target: PendingTargetFacts, status: StatusFacts): TargetTransition | null {
  if (status.receivedAt < target.createdAt) return null;
  if (compareVersions(status.version, target.version) === 0) return { status: 'confirmed', reason: null, reportedVersion: status.version };
  if (status.sentAt !== undefined && sentBeforeSecondOf(status.sentAt, target.createdAt)) return null;
  return { status: 'failed', reason: 'reported-version', reportedVersion: status.version };
}

// Frames are dated to the second: one of the deployment's own second may have been sent after it.
function sentBeforeSecondOf(sentAt: Date, moment: Date): boolean {
  return Math.floor(sentAt.getTime() / 1000) < Math.floor(moment.getTime() / 1000);
}

/** A pending target whose deadline has passed has failed. */
export function transitionOnTime(target: PendingTargetFacts, now: Date): TargetTransition | null {
  return target.deadline <= now ? { status: 'failed', reason: 'timeout', reportedVersion: null } : null;
}

export interface ReportFacts {
  state: ProgressState;
  reason: string | null;
}

/**
 * What a protocol-v2 gateway's progress report means for its pending target: `failed` and
 * `rejected` fail it with the gateway's reason as detail; any other state decides nothing (the
 * gateway's Status confirms it).
 */
export function transitionOnReport(report: ReportFacts): (TargetTransition & { detail: string }) | null {
  if (report.state !== 'failed' && report.state !== 'rejected') return null;
  const reason = report.state === 'failed' ? 'install-failed' : 'rejected';
  return { status: 'failed', reason, reportedVersion: null, detail: report.reason ?? report.state };
}
