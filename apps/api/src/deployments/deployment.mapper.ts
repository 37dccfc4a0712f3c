import type { DeploymentCountsDto, DeploymentDto, DeploymentTargetDto, UpgradeStatus } from '@upgrade-manager/dto';
import type { Types } from 'mongoose';
import type { DeploymentTarget } from './deployment-target.schema';
import type { Deployment } from './deployment.schema';

export type StoredDeployment = Deployment & { _id: Types.ObjectId };

export function emptyCounts(): DeploymentCountsDto {
  return { total: 0, pending: 0, confirmed: 0, failed: 0 };
}

export function addToCounts(counts: DeploymentCountsDto, status: UpgradeStatus, count = 1): DeploymentCountsDto {
  counts[status] += count;
  counts.total += count;
  return counts;
}

/** A deployment as its reader may see it: a company's reader sees its own company among the deployment's, never the others. */
export function toDeploymentDto(deployment: StoredDeployment, counts: DeploymentCountsDto, readerCompanyId: string | null): DeploymentDto {
  return {
    id: deployment._id.toString(),
    version: deployment.version,
    scope: deployment.scope,
    companyIds: readerCompanyId === null ? deployment.companyIds : deployment.companyIds.filter((companyId) => companyId === readerCompanyId),
    createdBy: deployment.createdBy ? { userId: deployment.createdBy.userId, email: deployment.createdBy.email } : null,
    createdAt: (deployment.createdAt ?? new Date(0)).toISOString(),
    counts,
  };
}

export function toTargetDto(target: DeploymentTarget): DeploymentTargetDto {
  return {
    gatewayId: target.gatewayId,
    companyId: target.companyId,
    status: target.status,
    reason: target.reason ?? null,
    reportedVersion: target.reportedVersion ?? null,
    deadline: target.deadline.toISOString(),
    updatedAt: (target.updatedAt ?? target.createdAt ?? new Date(0)).toISOString(),
  };
}
