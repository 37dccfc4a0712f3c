import type { DeliveryState } from './deployments.dto';
import type { GatewayDto, UpgradeStatus } from './gateways.dto';
import type { RolloutState } from './rollouts.dto';
import type { VersionDto } from './versions.dto';

/** What a gateway's Status changed, as announced live. */
export interface GatewayActivityLiveData {
  gatewayId: string;
  companyId: string;
  version: string;
  lastUpgradeAt: string | null;
  lastSeenAt: string;
}

export interface DeploymentCreatedLiveData {
  deploymentId: string;
  version: string;
  /** The deployment's targets in the event's company (the targets themselves: GET /api/deployments/:id). */
  targetCount: number;
}

export interface DeploymentTargetLiveData {
  deploymentId: string;
  gatewayId: string;
  version: string;
  status: UpgradeStatus;
  reason: string | null;
  reportedVersion: string | null;
}

/** A protocol-v2 target's download and installation, from its progress reports. */
export interface DeploymentTargetProgressLiveData {
  deploymentId: string;
  gatewayId: string;
  version: string;
  state: DeliveryState;
  bytes: number;
  size: number;
  reason: string | null;
}

interface Live<T extends string, D> {
  type: T;
  /** null: every company sees it (e.g. a new version). */
  companyId: string | null;
  data: D;
}

/**
 * One message of GET /api/stream: a change web users see at once (SPEC §2 "status changes live
 * without reload"), raised by whichever API process made it and sent by every process.
 */
export type LiveEvent =
  | Live<'gateway.registered', GatewayActivityLiveData>
  | Live<'gateway.updated', GatewayActivityLiveData | { gateway: GatewayDto }>
  | Live<'gateways.tagged', { add: string[]; remove: string[] }>
  | Live<'deployment.created', DeploymentCreatedLiveData>
  | Live<'deployment.target-updated', DeploymentTargetLiveData>
  | Live<'deployment.target-progress', DeploymentTargetProgressLiveData>
  | Live<'rollout.updated', { rolloutId: string; state: RolloutState }>
  | Live<'version.added', VersionDto>
  | Live<'version.removed', { version: string; latest: string | null }>;

export type LiveEventType = LiveEvent['type'];
