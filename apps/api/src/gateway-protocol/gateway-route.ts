import { HEADER_LENGTH, isValidGatewayId, TOCLOUD_PREFIX } from '@upgrade-manager/frame-codec';
import type { FrameRateLimit, RefusalCounter } from './frame-rate-limiter';
import type { FramePace } from './latest-frame-pacer';

/** A FramePace and where the frames it skips count: as `reason="rate-limited"` there; none: `um_frames_rejected_total`. */
export interface RoutePace extends FramePace {
  refusals?: RefusalCounter;
}

/** How one gateway → cloud message type is read and who handles it. */
export interface GatewayRouteDefinition<M> {
  /** The message type: the topic's middle level, and the `type` label of the metrics. */
  type: string;
  /** Reads the frame's payload once (`timestampSeconds`: the frame's date); throws the codec's error (FrameDecodeError, PayloadError, ProtocolV2Error) for a malformed one. */
  decode(payload: Buffer, timestampSeconds: number): M;
  /** Handled only for a gateway that may be served (GatewayRequestGate); false for a Status, which registers gateways. */
  gated: boolean;
  /** Largest payload `decode` can accept: a larger frame is refused before its CRC is computed or its payload read. */
  maxPayloadBytes: number;
  /** Reason counted for such a frame (the codec's own "too large" reason). */
  tooLargeReason: string;
  /** Each gateway's frames of this type are handled at this pace, checked before the frame is read (see LatestFramePacer); none: unpaced. */
  pace?: RoutePace;
  /** Each gateway's frames of this type beyond this rate are dropped, checked before the frame is read (see FrameRateLimiter; routes given the same limit share its bucket); none: not limited before reading. */
  rateLimit?: FrameRateLimit;
  /** Resolves false when the message could not be stored: it is not acknowledged, and the broker delivers it again. */
  handle(gatewayId: string, message: M): Promise<boolean>;
}

/** A route with its message's type hidden, so that the routing table holds all of them. */
export interface GatewayRoute {
  type: string;
  /** The one subscription of this type: `TOCLOUD/<type>/+`. */
  pattern: string;
  gated: boolean;
  /** Largest frame (header and payload) of this type; see GatewayRouteDefinition.maxPayloadBytes. */
  maxFrameBytes: number;
  tooLargeReason: string;
  pace?: RoutePace;
  rateLimit?: FrameRateLimit;
  /** Decodes the payload (throws as `decode` does) and returns the handling of the decoded message. */
  decode(payload: Buffer, timestampSeconds: number): (gatewayId: string) => Promise<boolean>;
}

export function gatewayRoute<M>({ type, gated, maxPayloadBytes, tooLargeReason, pace, rateLimit, decode, handle }: GatewayRouteDefinition<M>): GatewayRoute {
  return {
    type,
    pattern: `${TOCLOUD_PREFIX}/${type}/+`,
    gated,
    maxFrameBytes: HEADER_LENGTH + maxPayloadBytes,
    tooLargeReason,
    pace,
    rateLimit,
    decode(payload, timestampSeconds) {
      const message = decode(payload, timestampSeconds);
      return (gatewayId) => handle(gatewayId, message);
    },
  };
}

/** The gateway id of a topic that matched the route's pattern; null when it is not a valid one. */
export function gatewayIdOf(route: GatewayRoute, topic: string): string | null {
  const prefix = route.pattern.slice(0, -1);
  if (!topic.startsWith(prefix)) return null;
  const gatewayId = topic.slice(prefix.length);
  return isValidGatewayId(gatewayId) ? gatewayId : null;
}
