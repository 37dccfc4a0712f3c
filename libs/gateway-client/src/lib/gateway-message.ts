import {
  CRC_OFFSET,
  FrameDecodeError,
  FrameDecodeErrorReason,
  PayloadError,
  PayloadErrorCode,
  ToGatewayMessageType,
  decodeFrame,
  parseAvailableVersionsPayload,
  parseLatestVersionPayload,
  parseTopic,
} from '@upgrade-manager/frame-codec';

interface ReceivedMessageBase {
  topic: string;
  /** True when it came on the broadcast topic (`TOGATEWAY/<TYPE>`), false on the gateway's own. */
  broadcast: boolean;
  /** The frame header's timestamp, seconds since the epoch. */
  timestampSeconds: number;
}

export interface LatestVersionMessage extends ReceivedMessageBase {
  type: typeof ToGatewayMessageType.LatestVersion;
  version: string;
}

export interface AvailableVersionsMessage extends ReceivedMessageBase {
  type: typeof ToGatewayMessageType.AvailableVersions;
  versions: string[];
}

interface ContentMessageBase extends ReceivedMessageBase {
  /** The executable bytes: a view over the received packet, not a copy. */
  content: Buffer;
  /** CRC-32 of the content as the frame header carries it (signed int32); already verified. */
  crc32: number;
}

export interface UpgradeMessage extends ContentMessageBase {
  type: typeof ToGatewayMessageType.Upgrade;
}

export interface DownloadUpgradeMessage extends ContentMessageBase {
  type: typeof ToGatewayMessageType.DownloadUpgrade;
}

/** A well-formed cloud → gateway message. */
export type GatewayMessage = LatestVersionMessage | AvailableVersionsMessage | UpgradeMessage | DownloadUpgradeMessage;

export type GatewayMessageOf<T extends ToGatewayMessageType> = Extract<GatewayMessage, { type: T }>;

/** A frame that failed the frame check, or whose JSON payload is not what its topic expects. */
export interface InvalidFrame {
  topic: string;
  type: ToGatewayMessageType;
  reason: FrameDecodeErrorReason | PayloadErrorCode;
  message: string;
  /** Bytes received, header included. */
  size: number;
}

export type DecodedGatewayMessage = { ok: true; message: GatewayMessage } | { ok: false; invalid: InvalidFrame };

/**
 * Checks and decodes one message received on a `TOGATEWAY/...` topic. Returns null for a topic
 * that is not a cloud → gateway protocol topic. Never throws for any bytes.
 */
export function decodeGatewayMessage(topic: string, bytes: Buffer): DecodedGatewayMessage | null {
  const parsed = parseTopic(topic);
  if (parsed === null || parsed.direction !== 'toGateway') return null;
  const { type } = parsed;
  const base = { topic, broadcast: parsed.gatewayId === null };
  try {
    const { timestampSeconds, payload } = decodeFrame(bytes);
    const received = { ...base, timestampSeconds };
    switch (type) {
      case ToGatewayMessageType.LatestVersion:
        return { ok: true, message: { ...received, type, version: parseLatestVersionPayload(payload).version } };
      case ToGatewayMessageType.AvailableVersions:
        return { ok: true, message: { ...received, type, versions: parseAvailableVersionsPayload(payload).versions } };
      case ToGatewayMessageType.Upgrade:
      case ToGatewayMessageType.DownloadUpgrade:
        return { ok: true, message: { ...received, type, content: payload, crc32: bytes.readInt32BE(CRC_OFFSET) } };
    }
  } catch (error) {
    if (error instanceof FrameDecodeError) {
      return { ok: false, invalid: { topic, type, reason: error.reason, message: error.message, size: bytes.byteLength } };
    }
    if (error instanceof PayloadError) {
      return { ok: false, invalid: { topic, type, reason: error.code, message: error.message, size: bytes.byteLength } };
    }
    throw error;
  }
}
