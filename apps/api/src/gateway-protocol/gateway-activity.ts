import type { StatusPayload } from '@upgrade-manager/frame-codec';

export interface ReceivedStatus extends StatusPayload {
  receivedAt: Date;
}

/** What is known about one gateway since the last write: its latest Status, if any, and when it was last heard. */
export interface GatewayActivity {
  status: ReceivedStatus | null;
  lastSeenAt: Date;
}

/** The latest Status wins; liveness is the latest of both. */
export function mergeActivity(older: GatewayActivity, newer: GatewayActivity): GatewayActivity {
  return {
    status: newer.status ?? older.status,
    lastSeenAt: newer.lastSeenAt > older.lastSeenAt ? newer.lastSeenAt : older.lastSeenAt,
  };
}
