import type { StatusReport } from '../deployments/deployment-tracker.service';
import type { GatewayUpgrade } from '../gateways/gateway.schema';
import type { GatewayActivity } from './gateway-activity';

/** Matches the gateway unless its stored Status was sent later: then the upsert's insert fails with a duplicate key. */
export interface StatusFilter {
  _id: string;
  $or: [{ statusSentAt: { $lte: Date } }, { statusSentAt: null }];
}

export interface StatusUpsert {
  gatewayId: string;
  updateOne: {
    filter: StatusFilter;
    update: { $set: Record<string, unknown>; $setOnInsert: Record<string, unknown> };
    upsert: true;
  };
}

/** Liveness of gateways that sent no Status in the batch, all with the same time. */
export interface LivenessTouch {
  gatewayIds: string[];
  /** The earliest time heard in the batch: liveness is never claimed for later than it was. */
  seenAt: Date;
}

export interface ActivityWrites {
  companyIds: string[];
  /** One upsert per gateway with a Status, with its id (upsert results are reported by index). */
  upserts: StatusUpsert[];
  touch: LivenessTouch | null;
  statusReports: StatusReport[];
}

/**
 * The database writes for one batch. A Status upserts its gateway (the first one registers it,
 * with `registrationFields`) unless a Status sent later is stored already; liveness alone only touches gateways that exist, since a gateway
 * needs a company. The company is written on insert only: a Status never moves a gateway.
 */
export function activityWrites(batch: ReadonlyMap<string, GatewayActivity>, registrationFields: Record<string, unknown> = {}): ActivityWrites {
  const companyIds = new Set<string>();
  const upserts: StatusUpsert[] = [];
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
    statusReports.push({ gatewayId, version: status.version, receivedAt: status.receivedAt });
    const set: Record<string, unknown> = { version: status.version, statusSentAt: status.sentAt, lastSeenAt, protocol: status.protocol ?? null };
    const setOnInsert: Record<string, unknown> = {
      ...registrationFields,
      gatewayId,
      companyId: status.companyId,
      name: null,
      address: null,
      latitude: null,
      longitude: null,
      enabled: true,
      upgrade: null,
    };
    // A Status without a timestamp keeps the last upgrade time already known.
    if (status.lastUpgradeAt === null) setOnInsert['lastUpgradeAt'] = null;
    else set['lastUpgradeAt'] = new Date(status.lastUpgradeAt);
    // Conditional on the time sent: Statuses of one gateway may be written by several API processes in any order.
    const filter: StatusFilter = { _id: gatewayId, $or: [{ statusSentAt: { $lte: status.sentAt } }, { statusSentAt: null }] };
    upserts.push({ gatewayId, updateOne: { filter, update: { $set: set, $setOnInsert: setOnInsert }, upsert: true } });
  }
  return { companyIds: [...companyIds], upserts, touch: seenAt === null ? null : { gatewayIds: touched, seenAt }, statusReports };
}

/**
 * The upserts with the upgrade state that this batch's Statuses decided, so that a gateway's
 * Status and its confirmed (or failed) upgrade are one write. Such a gateway exists already (it
 * has a deployment target), so its insert-only default for `upgrade` is dropped.
 */
export function withUpgrades(upserts: readonly StatusUpsert[], upgrades: ReadonlyMap<string, GatewayUpgrade>): StatusUpsert[] {
  return upserts.map((upsert) => {
    const upgrade = upgrades.get(upsert.gatewayId);
    if (!upgrade) return upsert;
    const { upgrade: _insertDefault, ...setOnInsert } = upsert.updateOne.update.$setOnInsert;
    return {
      ...upsert,
      updateOne: { ...upsert.updateOne, update: { $set: { ...upsert.updateOne.update.$set, upgrade }, $setOnInsert: setOnInsert } },
    };
  });
}
