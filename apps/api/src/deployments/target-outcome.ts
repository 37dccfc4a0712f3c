import { compareVersions } from '@upgrade-manager/frame-codec';
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
}

/**
 * What a gateway's Status means for its pending target: the deployed version confirms it, another
 * version fails it. A Status received before the deployment existed says nothing about it.
 */
export function transitionOnStatus(target: PendingTargetFacts, status: StatusFacts): TargetTransition | null {
  if (status.receivedAt < target.createdAt) return null;
  if (compareVersions(status.version, target.version) === 0) return { status: 'confirmed', reason: null, reportedVersion: status.version };
  return { status: 'failed', reason: 'reported-version', reportedVersion: status.version };
}

/** A pending target whose deadline has passed has failed. */
export function transitionOnTime(target: PendingTargetFacts, now: Date): TargetTransition | null {
  return target.deadline <= now ? { status: 'failed', reason: 'timeout', reportedVersion: null } : null;
}
