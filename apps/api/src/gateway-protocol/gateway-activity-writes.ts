import type { StatusReport } from '../deployments/deployment-tracker.service';
import type { StatusWrite } from '../gateways/gateways.store';
import type { GatewayActivity } from './gateway-activity';

/** Liveness of gateways that sent no Status in the batch, all with the same time. */
export interface LivenessTouch {
  gatewayIds: string[];
  /** The earliest time heard in the batch: liveness is never claimed for later than it was. */
  seenAt: Date;
}

export interface ActivityWrites {
  companyIds: string[];
  /** One per gateway with a Status. */
  statuses: StatusWrite[];
  touch: LivenessTouch | null;
  statusReports: StatusReport[];
}

/**
 * What one batch writes. A Status upserts its gateway (the first one registers it); liveness
 * alone only touches gateways that exist, since a gateway needs a company.
 */
export function activityWrites(batch: ReadonlyMap<string, GatewayActivity>): ActivityWrites {
  const companyIds = new Set<string>();
  const statuses: StatusWrite[] = [];
  const statusReports: StatusReport[] = [];
  const touched: string[] = [];
  let seenAt: Date | null = null;
  for (const [gatewayId, { status, lastSeenAt }] of batch) {
    if (status === null) {
      touched.push(gatewayId);
      if (seenAt === null || lastSeenAt < seenAt) seenAt = lastSeenAt;
      continue;
    }
    companyIds.add(status.companyId);
    statusReports.push({ gatewayId, version: status.version, receivedAt: status.receivedAt, sentAt: status.sentAt });
    statuses.push({
      gatewayId,
      companyId: status.companyId,
      version: status.version,
      protocol: status.protocol ?? null,
      sentAt: status.sentAt,
      lastSeenAt,
      lastUpgradeAt: status.lastUpgradeAt === null ? null : new Date(status.lastUpgradeAt),
    });
  }
  return { companyIds: [...companyIds], statuses, touch: seenAt === null ? null : { gatewayIds: touched, seenAt }, statusReports };
}
