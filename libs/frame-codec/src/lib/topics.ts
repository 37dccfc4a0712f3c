export const TOGATEWAY_PREFIX = 'TOGATEWAY';
export const TOCLOUD_PREFIX = 'TOCLOUD';

/** Cloud → gateway messages; each has a broadcast topic and a per-gateway topic. */
export const ToGatewayMessageType = {
  Upgrade: 'UPGRADE',
  LatestVersion: 'LATEST_VERSION',
  AvailableVersions: 'AVAILABLE_VERSIONS',
  DownloadUpgrade: 'DOWNLOAD_UPGRADE',
} as const;
export type ToGatewayMessageType = (typeof ToGatewayMessageType)[keyof typeof ToGatewayMessageType];

/** Gateway → cloud messages; always per gateway. */
export const ToCloudMessageType = {
  Status: 'STATUS',
  RequestLatestVersion: 'REQUEST_LATEST_VERSION',
  RequestAvailableVersions: 'REQUEST_AVAILABLE_VERSIONS',
  RequestUpgrade: 'REQUEST_UPGRADE',
} as const;
export type ToCloudMessageType = (typeof ToCloudMessageType)[keyof typeof ToCloudMessageType];

export type MessageType = ToGatewayMessageType | ToCloudMessageType;

export const TO_GATEWAY_MESSAGE_TYPES: readonly ToGatewayMessageType[] = Object.values(ToGatewayMessageType);
export const TO_CLOUD_MESSAGE_TYPES: readonly ToCloudMessageType[] = Object.values(ToCloudMessageType);

/** What the cloud subscribes to: every gateway → cloud message of every gateway. */
export const TOCLOUD_SUBSCRIPTIONS: Readonly<Record<ToCloudMessageType, string>> = {
  STATUS: `${TOCLOUD_PREFIX}/STATUS/+`,
  REQUEST_LATEST_VERSION: `${TOCLOUD_PREFIX}/REQUEST_LATEST_VERSION/+`,
  REQUEST_AVAILABLE_VERSIONS: `${TOCLOUD_PREFIX}/REQUEST_AVAILABLE_VERSIONS/+`,
  REQUEST_UPGRADE: `${TOCLOUD_PREFIX}/REQUEST_UPGRADE/+`,
};
export const TOCLOUD_ALL_SUBSCRIPTION = `${TOCLOUD_PREFIX}/+/+`;

export const MAX_GATEWAY_ID_LENGTH = 256;

export type ParsedTopic =
  { direction: 'toCloud'; type: ToCloudMessageType; gatewayId: string } | { direction: 'toGateway'; type: ToGatewayMessageType; gatewayId: string | null };

const toGatewayTypes: ReadonlySet<string> = new Set(TO_GATEWAY_MESSAGE_TYPES);
const toCloudTypes: ReadonlySet<string> = new Set(TO_CLOUD_MESSAGE_TYPES);

export function isToGatewayMessageType(value: string): value is ToGatewayMessageType {
  return toGatewayTypes.has(value);
}

export function isToCloudMessageType(value: string): value is ToCloudMessageType {
  return toCloudTypes.has(value);
}
// MQTT separators and wildcards would change the topic's meaning; control characters poison logs.
const FORBIDDEN_IN_GATEWAY_ID = /[/+#\u0000-\u001f\u007f]/;

/** Non-empty, at most MAX_GATEWAY_ID_LENGTH characters, no `/`, `+`, `#` or control characters. */
export function isValidGatewayId(gatewayId: string): boolean {
  return gatewayId.length > 0 && gatewayId.length <= MAX_GATEWAY_ID_LENGTH && !FORBIDDEN_IN_GATEWAY_ID.test(gatewayId);
}

function assertGatewayId(gatewayId: string): void {
  if (!isValidGatewayId(gatewayId)) throw new RangeError(`invalid gatewayId: ${JSON.stringify(gatewayId)}`);
}

/** `TOGATEWAY/<type>` (broadcast) without a gatewayId, `TOGATEWAY/<type>/<gatewayId>` with one. */
export function toGatewayTopic(type: ToGatewayMessageType, gatewayId?: string): string {
  if (gatewayId === undefined) return `${TOGATEWAY_PREFIX}/${type}`;
  assertGatewayId(gatewayId);
  return `${TOGATEWAY_PREFIX}/${type}/${gatewayId}`;
}

/** `TOCLOUD/<type>/<gatewayId>`. */
export function toCloudTopic(type: ToCloudMessageType, gatewayId: string): string {
  assertGatewayId(gatewayId);
  return `${TOCLOUD_PREFIX}/${type}/${gatewayId}`;
}

/** What a gateway subscribes to: broadcasts and messages addressed to it. */
export function toGatewaySubscriptions(gatewayId: string): [broadcast: string, own: string] {
  assertGatewayId(gatewayId);
  return [`${TOGATEWAY_PREFIX}/+`, `${TOGATEWAY_PREFIX}/+/${gatewayId}`];
}

/** The direction, type and gateway of a protocol topic; null for any other topic. Case-sensitive. */
export function parseTopic(topic: string): ParsedTopic | null {
  const levels = topic.split('/');
  const [prefix, type, gatewayId] = levels;
  if (levels.length > 3 || type === undefined) return null;
  if (gatewayId !== undefined && !isValidGatewayId(gatewayId)) return null;

  if (prefix === TOGATEWAY_PREFIX && isToGatewayMessageType(type)) {
    return { direction: 'toGateway', type, gatewayId: gatewayId ?? null };
  }
  if (prefix === TOCLOUD_PREFIX && isToCloudMessageType(type) && gatewayId !== undefined) {
    return { direction: 'toCloud', type, gatewayId };
  }
  return null;
}
