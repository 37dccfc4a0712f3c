import { hash } from 'node:crypto';
import { Types } from 'mongoose';
import type { DeploymentTargetList } from './deployment-target-list.schema';
import type { StoredTarget } from './pending-targets';

/** Targets per list document: 1,000 gateway ids and their companies stay far below the 16 MiB document limit. */
export const TARGETS_PER_LIST = 1000;

/**
 * The `_id` of a deployment's target: derived from the deployment and the gateway (targeted once
 * per deployment), so that its decision (the outcome event, under an `_id` derived from
 * this one) is found by `_id` from the list alone.
 */
export function targetId(deploymentId: string, gatewayId: string): Types.ObjectId {
  // crypto.hash: the digest createHash('sha256').update(data).digest('hex') gave, in one call (about 3,000 per rollout).
  return new Types.ObjectId(hash('sha256', `target:${deploymentId}:${gatewayId}`, 'hex').slice(0, 24));
}

/** True for a target of a deployment that lists its targets (its `_id` is `targetId`), false for a document of an earlier version. */
export function isListedTarget(target: Pick<StoredTarget, '_id' | 'deploymentId' | 'gatewayId'>): boolean {
  return target._id.equals(targetId(target.deploymentId, target.gatewayId));
}

/** The `_id`s of the list documents of a deployment of `targetCount` targets. */
export function listIds(deploymentId: string, targetCount: number): string[] {
  return Array.from({ length: Math.ceil(targetCount / TARGETS_PER_LIST) }, (_, index) => `${deploymentId}:${index}`);
}

/** The list documents of the targets of one deployment, as created (pending, with `targetId`s). */
export function targetLists(deploymentId: string, targets: readonly StoredTarget[]): DeploymentTargetList[] {
  const ids = listIds(deploymentId, targets.length);
  return ids.map((_id, index) => {
    const listed = targets.slice(index * TARGETS_PER_LIST, (index + 1) * TARGETS_PER_LIST);
    const companyIds = [...new Set(listed.map((target) => target.companyId))];
    const companyIndex = new Map(companyIds.map((companyId, position) => [companyId, position]));
    const first = listed[0];
    return {
      _id,
      deploymentId,
      version: first.version,
      deadline: first.deadline,
      createdAt: first.createdAt,
      gatewayIds: listed.map((target) => target.gatewayId),
      companyIds,
      companies: listed.map((target) => companyIndex.get(target.companyId) ?? 0),
      v2GatewayIds: listed.filter((target) => target.protocol === 2).map((target) => target.gatewayId),
    };
  });
}

/** The targets of list documents, as created (pending). */
export function listedTargets(lists: readonly DeploymentTargetList[]): StoredTarget[] {
  return lists.flatMap((list) => {
    const v2 = new Set(list.v2GatewayIds ?? []);
    return list.gatewayIds.map((gatewayId, index) => ({
      _id: targetId(list.deploymentId, gatewayId),
      deploymentId: list.deploymentId,
      gatewayId,
      companyId: list.companyIds[list.companies[index]],
      version: list.version,
      status: 'pending' as const,
      reason: null,
      reportedVersion: null,
      deadline: list.deadline,
      ...(v2.has(gatewayId) ? { protocol: 2 as const } : {}),
      createdAt: list.createdAt,
      updatedAt: list.createdAt,
    }));
  });
}
