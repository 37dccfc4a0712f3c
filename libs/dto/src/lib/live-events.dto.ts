import type { GatewayDto, UpgradeStatus } from './gateways.dto';
import type { VersionDto } from './versions.dto';

/** What a gateway's messages changed, as announced live. */
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
  gatewayIds: string[];
}

export interface DeploymentTargetLiveData {
  deploymentId: string;
  gatewayId: string;
  version: string;
  status: UpgradeStatus;
  reason: string | null;
  reportedVersion: string | null;
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
  | Live<'deployment.created', DeploymentCreatedLiveData>
  | Live<'deployment.target-updated', DeploymentTargetLiveData>
  | Live<'version.added', VersionDto>
  | Live<'version.removed', { version: string; latest: string | null }>;

export type LiveEventType = LiveEvent['type'];

export const LIVE_EVENT_TYPES = [
  'gateway.registered',
  'gateway.updated',
  'deployment.created',
  'deployment.target-updated',
  'version.added',
  'version.removed',
] as const satisfies readonly LiveEventType[];
