import type { StatusPayload } from '@upgrade-manager/frame-codec';
import { frameAge } from '../gateway-admission/frame-clock-watch';

export interface ReceivedStatus extends StatusPayload {
  receivedAt: Date;
  /** Orders one gateway's Statuses (see statusSentAt): a Status sent earlier than the stored one is stale. */
  sentAt: Date;
}

/** What is known about one gateway since the last write: its latest Status, if any, and when it was last heard. */
export interface GatewayActivity {
  status: ReceivedStatus | null;
  lastSeenAt: Date;
}

/**
 * The Status with when it was received and sent, built field by field: on every Status, and
 * `{ ...status, receivedAt, sentAt }` costs V8 (Node 20) several microseconds an object, over ten
 * times as much (measured).
 */
export function receivedStatus(status: StatusPayload, receivedAt: Date, sentAt: Date): ReceivedStatus {
  const { companyId, version, lastUpgradeAt, protocol } = status;
  return protocol === undefined
    ? { companyId, version, lastUpgradeAt, receivedAt, sentAt }
    : { companyId, version, lastUpgradeAt, protocol, receivedAt, sentAt };
}

/**
 * When a Status was sent: its frame's timestamp (whole seconds), the only order a gateway's
 * messages keep once API processes share them. A gateway's clock is untrusted: a frame dated
 * after its receipt counts as sent when received (it cannot hold off later Statuses), and one
 * dated far in the past (a gateway that lost its clock) likewise.
 */
export function statusSentAt(timestampSeconds: number, receivedAt: Date): Date {
  const received = Math.floor(receivedAt.getTime() / 1000);
  const seconds = frameAge(timestampSeconds, receivedAt.getTime()) === 'old' ? received : Math.min(timestampSeconds, received);
  return new Date(seconds * 1000);
}

/** The Status sent last wins (the later received of one second); liveness is the latest of both. */
export function mergeActivity(older: GatewayActivity, newer: GatewayActivity): GatewayActivity {
  const staleNewer = newer.status !== null && older.status !== null && newer.status.sentAt < older.status.sentAt;
  return {
    status: staleNewer ? older.status : (newer.status ?? older.status),
    lastSeenAt: newer.lastSeenAt > older.lastSeenAt ? newer.lastSeenAt : older.lastSeenAt,
  };
}
