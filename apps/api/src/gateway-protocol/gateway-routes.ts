import {
  isEmptyRequestPayload,
  MAX_JSON_PAYLOAD_LENGTH,
  parseStatusPayload,
  parseVersionRequestPayload,
  PayloadErrorCode,
  ToCloudMessageType,
  type StatusPayload,
} from '@upgrade-manager/frame-codec';
import {
  decodeChunkRequest,
  decodeProgress,
  MAX_CHUNK_REQUEST_BYTES,
  MAX_JSON_MESSAGE_BYTES,
  ProtocolV2ErrorReason,
  ToCloudV2MessageType,
} from '@upgrade-manager/protocol-v2';
import { GATEWAY_REQUESTS_REFUSED } from '../gateway-admission/gateway-request-gate';
import { PROGRESS_BURST, PROGRESS_PER_S, PROGRESS_REFUSED, type DeliveryProgressService } from '../image-delivery/delivery-progress.service';
import { CHUNK_REQUEST_BURST, CHUNK_REQUESTS_PER_S, CHUNK_REQUESTS_REFUSED, type ImageDeliveryService } from '../image-delivery/image-delivery.service';
import type { FrameRateLimit } from './frame-rate-limiter';
import type { GatewayProtocolService } from './gateway-protocol.service';
import { gatewayRoute, type GatewayRoute, type RoutePace } from './gateway-route';
import type { FramePace } from './latest-frame-pacer';

/** A request that carries no data: how many bytes it carried anyway (answered all the same). */
export interface EmptyRequest {
  unexpectedBytes: number;
}

/** A Status and the date of its frame, which orders Statuses of one gateway (see GatewayActivityService). */
export interface DatedStatus {
  status: StatusPayload;
  timestampSeconds: number;
}

function datedStatus(payload: Buffer, timestampSeconds: number): DatedStatus {
  return { status: parseStatusPayload(payload), timestampSeconds };
}

function emptyRequest(payload: Buffer): EmptyRequest {
  return { unexpectedBytes: isEmptyRequestPayload(payload) ? 0 : payload.byteLength };
}

// A handler that reports no unstored message: whatever it did, the message is acknowledged.
function acknowledged<M>(handle: (gatewayId: string, message: M) => Promise<void>): (gatewayId: string, message: M) => Promise<boolean> {
  return async (gatewayId, message) => {
    await handle(gatewayId, message);
    return true;
  };
}

export interface GatewayHandlers {
  protocol: Pick<GatewayProtocolService, 'status' | 'latestVersionRequested' | 'availableVersionsRequested' | 'upgradeRequested'>;
  delivery: Pick<ImageDeliveryService, 'receiveChunkRequest'>;
  progress: Pick<DeliveryProgressService, 'receive'>;
}

// The largest payload each type can have: the broker passes gateways' packets up to MAX_IMAGE_BYTES,
// and a frame's CRC and an empty request's blank check read every byte. A request that carries no
// data is answered whatever it carries, up to the size of a JSON payload.
const V1 = { maxPayloadBytes: MAX_JSON_PAYLOAD_LENGTH, tooLargeReason: PayloadErrorCode.TooLarge };
const V2_JSON = { maxPayloadBytes: MAX_JSON_MESSAGE_BYTES, tooLargeReason: ProtocolV2ErrorReason.TooLarge };
const V2_CHUNK_REQUEST = { maxPayloadBytes: MAX_CHUNK_REQUEST_BYTES, tooLargeReason: ProtocolV2ErrorReason.TooLarge };

// A gateway sends a Status at start-up, after each upgrade and now and then (the bench: 10 back to
// back); 20 at once and one a second after that leave a flood of 64 KiB Statuses (4-9 ms each to
// check and parse) about 1% of the event loop per gateway. Waiting Statuses stay in the broker's
// in-flight window of the API process (10,000 messages, 32 MiB): at most a tenth and an eighth of it.
export const STATUS_PACE: FramePace = { ratePerS: 1, burst: 20, maxHeld: 1_000, maxHeldBytes: 4 * 1024 * 1024 };

// The other types are limited before reading at twice what their handlers serve after reading, so
// a gateway within today's limits is never refused earlier; their handlers' own limits stay as they are.
/**
 * v1 requests: GatewayRequestGate serves `perMinute` of a gateway's requests (the three types
 * together) per clock minute, so up to twice as many in the seconds around a minute's turn, and
 * never more than 2 × perMinute plus perMinute a minute over any span: such a gateway never finds
 * this bucket empty. One limit for the three routes, so one bucket per gateway, as the gate's budget.
 */
export function requestRateLimit(perMinute: number): FrameRateLimit {
  return { ratePerS: perMinute / 60, burst: 2 * perMinute, refusals: GATEWAY_REQUESTS_REFUSED };
}
// v2 gateways request chunks in bursts, within ImageDeliveryService's 10 a second, 20 at once.
export const CHUNK_REQUEST_RATE_LIMIT: FrameRateLimit = {
  ratePerS: 2 * CHUNK_REQUESTS_PER_S,
  burst: 2 * CHUNK_REQUEST_BURST,
  refusals: CHUNK_REQUESTS_REFUSED,
};
// v2 gateways report about once a second, within DeliveryProgressService's 5 a second, 10 at once;
// a target's first final report passes there even over that rate. Reports can still come bunched
// (a backlog from a session that was offline, a gateway reporting each chunk), the final one last:
// paced, not dropped, so over the rate the latest report waits and is read, and a final report
// replaced only by a later report (of a later deployment, which supersedes its target). Waiting
// reports take the in-flight window as Statuses do: both together at most a fifth and a quarter of it.
export const PROGRESS_PACE: RoutePace = {
  ratePerS: 2 * PROGRESS_PER_S,
  burst: 2 * PROGRESS_BURST,
  maxHeld: STATUS_PACE.maxHeld,
  maxHeldBytes: STATUS_PACE.maxHeldBytes,
  refusals: PROGRESS_REFUSED,
};

export interface GatewayRouteLimits {
  /** GATEWAY_REQUESTS_PER_MINUTE (GatewayRequestGate). */
  requestsPerMinute: number;
}

/** Every gateway → cloud message (SPEC §1 and docs/protocol-v2.md): one route per topic, one handler per route. */
export function gatewayRoutes({ protocol, delivery, progress }: GatewayHandlers, { requestsPerMinute }: GatewayRouteLimits): GatewayRoute[] {
  const requestLimit = requestRateLimit(requestsPerMinute);
  return [
    gatewayRoute({
      type: ToCloudMessageType.Status,
      gated: false,
      ...V1,
      pace: STATUS_PACE,
      decode: datedStatus,
      handle: (id, status) => protocol.status(id, status),
    }),
    gatewayRoute({
      type: ToCloudMessageType.RequestLatestVersion,
      gated: true,
      ...V1,
      rateLimit: requestLimit,
      decode: emptyRequest,
      handle: (id, request) => protocol.latestVersionRequested(id, request),
    }),
    gatewayRoute({
      type: ToCloudMessageType.RequestAvailableVersions,
      gated: true,
      ...V1,
      rateLimit: requestLimit,
      decode: emptyRequest,
      handle: (id, request) => protocol.availableVersionsRequested(id, request),
    }),
    gatewayRoute({
      type: ToCloudMessageType.RequestUpgrade,
      gated: true,
      ...V1,
      rateLimit: requestLimit,
      decode: parseVersionRequestPayload,
      handle: (id, { version }) => protocol.upgradeRequested(id, version),
    }),
    // Protocol v2 serves only what it offered (an open offer per gateway): no gate.
    gatewayRoute({
      type: ToCloudV2MessageType.ChunkRequest,
      gated: false,
      ...V2_CHUNK_REQUEST,
      rateLimit: CHUNK_REQUEST_RATE_LIMIT,
      decode: decodeChunkRequest,
      handle: acknowledged((id, request) => delivery.receiveChunkRequest(id, request)),
    }),
    gatewayRoute({
      type: ToCloudV2MessageType.Progress,
      gated: false,
      ...V2_JSON,
      pace: PROGRESS_PACE,
      decode: decodeProgress,
      handle: acknowledged((id, report) => progress.receive(id, report)),
    }),
  ];
}
