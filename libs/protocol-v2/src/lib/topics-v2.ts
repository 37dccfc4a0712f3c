import { isValidGatewayId, TOCLOUD_PREFIX, TOGATEWAY_PREFIX } from '@upgrade-manager/frame-codec';

/** Cloud → gateway messages of protocol v2, on `TOGATEWAY/<type>/<gatewayId>` like v1's per-gateway form. */
export const ToGatewayV2MessageType = {
  Offer: 'UPGRADE_OFFER',
  Chunk: 'UPGRADE_CHUNK',
} as const;
export type ToGatewayV2MessageType = (typeof ToGatewayV2MessageType)[keyof typeof ToGatewayV2MessageType];

/** Gateway → cloud messages of protocol v2, on `TOCLOUD/<type>/<gatewayId>`. */
export const ToCloudV2MessageType = {
  ChunkRequest: 'REQUEST_CHUNKS',
  Progress: 'UPGRADE_PROGRESS',
} as const;
export type ToCloudV2MessageType = (typeof ToCloudV2MessageType)[keyof typeof ToCloudV2MessageType];

/** The shared chunk stream of one image: `TOGATEWAY/UPGRADE_CHUNK_SHARED/<sha256 hex>`. */
export const SHARED_CHUNK_TYPE = 'UPGRADE_CHUNK_SHARED';
/** Every shared chunk stream (broker ACLs). */
export const SHARED_CHUNK_SUBSCRIPTION = `${TOGATEWAY_PREFIX}/${SHARED_CHUNK_TYPE}/+`;

export const TOCLOUD_V2_SUBSCRIPTIONS: Readonly<Record<ToCloudV2MessageType, string>> = {
  REQUEST_CHUNKS: `${TOCLOUD_PREFIX}/REQUEST_CHUNKS/+`,
  UPGRADE_PROGRESS: `${TOCLOUD_PREFIX}/UPGRADE_PROGRESS/+`,
};

const SHA256_HEX = /^[0-9a-f]{64}$/;

function assertGatewayId(gatewayId: string): void {
  if (!isValidGatewayId(gatewayId)) throw new RangeError(`invalid gatewayId: ${JSON.stringify(gatewayId)}`);
}

export function toGatewayV2Topic(type: ToGatewayV2MessageType, gatewayId: string): string {
  assertGatewayId(gatewayId);
  return `${TOGATEWAY_PREFIX}/${type}/${gatewayId}`;
}

export function toCloudV2Topic(type: ToCloudV2MessageType, gatewayId: string): string {
  assertGatewayId(gatewayId);
  return `${TOCLOUD_PREFIX}/${type}/${gatewayId}`;
}

export function sharedChunkTopic(sha256Hex: string): string {
  if (!SHA256_HEX.test(sha256Hex)) throw new RangeError(`invalid SHA-256: ${JSON.stringify(sha256Hex)}`);
  return `${TOGATEWAY_PREFIX}/${SHARED_CHUNK_TYPE}/${sha256Hex}`;
}

export type ParsedV2Topic =
  | { direction: 'toCloud'; type: ToCloudV2MessageType; gatewayId: string }
  | { direction: 'toGateway'; type: ToGatewayV2MessageType; gatewayId: string }
  | { direction: 'toGateway'; type: typeof SHARED_CHUNK_TYPE; sha256: string };

const toCloudTypes: ReadonlySet<string> = new Set(Object.values(ToCloudV2MessageType));
const toGatewayTypes: ReadonlySet<string> = new Set(Object.values(ToGatewayV2MessageType));

/** Direction, type and gateway (or image) of a v2 topic; null for any other topic. */
export function parseV2Topic(topic: string): ParsedV2Topic | null {
  const levels = topic.split('/');
  if (levels.length !== 3) return null;
  const [prefix, type = '', last = ''] = levels;
  if (prefix === TOGATEWAY_PREFIX && type === SHARED_CHUNK_TYPE) {
    return SHA256_HEX.test(last) ? { direction: 'toGateway', type, sha256: last } : null;
  }
  if (!isValidGatewayId(last)) return null;
  if (prefix === TOCLOUD_PREFIX && toCloudTypes.has(type)) return { direction: 'toCloud', type: type as ToCloudV2MessageType, gatewayId: last };
  if (prefix === TOGATEWAY_PREFIX && toGatewayTypes.has(type)) return { direction: 'toGateway', type: type as ToGatewayV2MessageType, gatewayId: last };
  return null;
}
