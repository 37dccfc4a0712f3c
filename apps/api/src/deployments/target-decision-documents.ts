import type { DeploymentTarget } from './deployment-target.schema';
import { outcomeEventId, type TargetChange } from './target-decision';

/** What merging a target with its decision reads of each document. */
export type TargetDocument = Pick<DeploymentTarget, 'deploymentId' | 'gatewayId' | 'status' | 'decision'>;

/**
 * The document that records the decision of a target of an earlier version's deployment in
 * `deployment_targets`, beside the target's document as created, which stays pending: an insert
 * costs FerretDB a tenth of an update. A copy of the target with the decided fields, under the
 * `_id` of its outcome event, so that however often a decision is applied, its document is written
 * once. (Until 2026-12-03 listed targets got one too; their decision is now their outcome event.)
 */
export function decisionDocument({ target, status, reason, reportedVersion }: TargetChange, decidedAt: Date): DeploymentTarget & { _id: unknown } {
  return {
    _id: outcomeEventId(target),
    deploymentId: target.deploymentId,
    gatewayId: target.gatewayId,
    companyId: target.companyId,
    version: target.version,
    status,
    reason: reason ?? null,
    reportedVersion: reportedVersion ?? null,
    deadline: target.deadline,
    ...(target.protocol ? { protocol: target.protocol } : {}),
    decision: true,
    createdAt: target.createdAt,
    updatedAt: decidedAt,
  };
}

/**
 * One document per target (a gateway is targeted once per deployment): its decision where one is
 * recorded, else the target as created (or as an earlier version of the API updated it), in the
 * order read.
 */
export function currentTargets<T extends TargetDocument>(documents: readonly T[]): T[] {
  const decided = new Set(documents.filter((document) => document.decision).map(targetKey));
  return documents.filter((document) => document.decision || !decided.has(targetKey(document)));
}

/** The targets still pending among these documents. */
export function undecidedTargets<T extends TargetDocument>(documents: readonly T[]): T[] {
  return currentTargets(documents).filter((document) => document.status === 'pending');
}

function targetKey({ deploymentId, gatewayId }: TargetDocument): string {
  return `${deploymentId}\u0000${gatewayId}`;
}
