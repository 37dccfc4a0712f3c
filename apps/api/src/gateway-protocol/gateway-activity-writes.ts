import type { StatusReport } from '../deployments/deployment-tracker.service';
import type { GatewayActivity } from './gateway-activity';

export interface GatewayWrite {
  gatewayId: string;
  updateOne: {
    filter: { gatewayId: string };
    update: Record<string, Record<string, unknown>>;
    upsert: boolean;
  };
}

export interface ActivityWrites {
  companyIds: string[];
  /** One bulk-write operation per gateway, with its id (upsert results are reported by index). */
  operations: GatewayWrite[];
  statusReports: StatusReport[];
}

/**
 * The database writes for one batch. A Status upserts its gateway (the first one registers it);
 * liveness alone only touches gateways that exist, since a gateway needs a company.
 */
export function activityWrites(batch: ReadonlyMap<string, GatewayActivity>): ActivityWrites {
  const companyIds = new Set<string>();
  const operations: GatewayWrite[] = [];
  const statusReports: StatusReport[] = [];
  for (const [gatewayId, { status, lastSeenAt }] of batch) {
    if (status === null) {
      operations.push({ gatewayId, updateOne: { filter: { gatewayId }, update: { $max: { lastSeenAt } }, upsert: false } });
      continue;
    }
    companyIds.add(status.companyId);
    statusReports.push({ gatewayId, version: status.version, receivedAt: status.receivedAt });
    const set: Record<string, unknown> = { companyId: status.companyId, version: status.version, lastSeenAt };
    const setOnInsert: Record<string, unknown> = { name: null, address: null, latitude: null, longitude: null, enabled: true, upgrade: null };
    // A Status without a timestamp keeps the last upgrade time already known.
    if (status.lastUpgradeAt === null) setOnInsert['lastUpgradeAt'] = null;
    else set['lastUpgradeAt'] = new Date(status.lastUpgradeAt);
    operations.push({ gatewayId, updateOne: { filter: { gatewayId }, update: { $set: set, $setOnInsert: setOnInsert }, upsert: true } });
  }
  return { companyIds: [...companyIds], operations, statusReports };
}
