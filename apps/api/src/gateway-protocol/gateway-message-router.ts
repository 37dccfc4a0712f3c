import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { decodeFrame, FrameDecodeError, HEADER_LENGTH, PayloadError, TIMESTAMP_OFFSET } from '@upgrade-manager/frame-codec';
import { ProtocolV2Error } from '@upgrade-manager/protocol-v2';
import type { Counter, Gauge } from 'prom-client';
import { FrameClockWatch } from '../gateway-admission/frame-clock-watch';
import { GatewayRequestGate } from '../gateway-admission/gateway-request-gate';
import { DeliveryProgressService } from '../image-delivery/delivery-progress.service';
import { ImageDeliveryService } from '../image-delivery/image-delivery.service';
import { MetricsService } from '../metrics/metrics.service';
import { RawFrameMqttServer } from '../mqtt/raw-frame-mqtt.server';
import { type FrameRateLimit, FrameRateLimiter, RATE_LIMITED_REFUSAL } from './frame-rate-limiter';
import { statusSentAt } from './gateway-activity';
import { gatewayIdOf, type GatewayRoute } from './gateway-route';
import { gatewayRoutes } from './gateway-routes';
import { GatewayProtocolService } from './gateway-protocol.service';
import { LatestFramePacer, type SkippedFrame } from './latest-frame-pacer';

/** Reason label for a message whose topic does not end in a valid gateway id. */
const INVALID_TOPIC = 'INVALID_TOPIC';
/** Reason labels for a message over its type's rate: replaced by the gateway's later one while waiting, or dropped (no room to wait). */
const RATE_LIMITED: Record<SkippedFrame, string> = { replaced: 'RATE_LIMITED', dropped: 'RATE_LIMITED_DROPPED' };

/**
 * When a frame was sent, by its header (unchecked) and as a stored Status is ordered (statusSentAt):
 * which of a gateway's waiting frames was sent last. A date in the future or far in the past counts
 * as now, so a gateway's clock error cannot keep a later Status from replacing it; a frame without
 * a header never replaces one.
 */
function frameSentAt(frame: Buffer): number {
  return frame.byteLength < HEADER_LENGTH ? -Infinity : statusSentAt(frame.readInt32BE(TIMESTAMP_OFFSET), new Date()).getTime();
}

/**
 * The one entry of gateway messages: each TOCLOUD topic is subscribed once (through the shared
 * group, see MqttModule) and routed to its one handler with the frame decoded once. A message that
 * cannot be decoded is counted and dropped; nothing here throws, whatever a gateway sends.
 */
@Injectable()
export class GatewayMessageRouter implements OnApplicationShutdown {
  private readonly logger = new Logger(GatewayMessageRouter.name);
  readonly routes: readonly GatewayRoute[];
  // One child per type: a labelled `inc` hashes its labels on every message.
  private readonly received = new Map<GatewayRoute, Counter.Internal>();
  private readonly rejected: Counter<'reason'>;
  private readonly failed: Counter<'type'>;
  private readonly pacers = new Map<GatewayRoute, LatestFramePacer>();
  private readonly limiters = new Map<GatewayRoute, FrameRateLimiter>();

  constructor(
    private readonly subscriber: RawFrameMqttServer,
    private readonly gate: GatewayRequestGate,
    private readonly clock: FrameClockWatch,
    protocol: GatewayProtocolService,
    delivery: ImageDeliveryService,
    progress: DeliveryProgressService,
    metrics: MetricsService,
  ) {
    this.routes = gatewayRoutes({ protocol, delivery, progress }, { requestsPerMinute: gate.requestsPerMinute });
    const received = metrics.counter({ name: 'um_gateway_messages_total', help: 'Gateway messages received, by type', labelNames: ['type'] });
    for (const route of this.routes) this.received.set(route, received.labels({ type: route.type }));
    this.rejected = metrics.counter({ name: 'um_frames_rejected_total', help: 'Gateway messages rejected, by reason', labelNames: ['reason'] });
    this.failed = metrics.counter({ name: 'um_gateway_message_errors_total', help: 'Gateway messages whose handling failed, by type', labelNames: ['type'] });
    // Children made once: a flood counts each of its messages.
    const rateLimited = { replaced: this.rejected.labels({ reason: RATE_LIMITED.replaced }), dropped: this.rejected.labels({ reason: RATE_LIMITED.dropped }) };
    const onSkipped = (skipped: SkippedFrame) => rateLimited[skipped].inc();
    for (const route of this.routes) {
      const pace = route.pace;
      if (!pace) continue;
      const refused = pace.refusals && metrics.counter(pace.refusals).labels({ reason: RATE_LIMITED_REFUSAL });
      this.pacers.set(route, new LatestFramePacer({ ...pace, onSkipped: refused ? () => refused.inc() : onSkipped, sentAt: frameSentAt }));
    }
    // Routes given one FrameRateLimit share its buckets (the three v1 requests, as the gate's budget).
    const limiters = new Map<FrameRateLimit, FrameRateLimiter>();
    for (const route of this.routes) {
      const limit = route.rateLimit;
      if (!limit) continue;
      const limiter = limiters.get(limit) ?? new FrameRateLimiter(limit, metrics.counter(limit.refusals).labels({ reason: RATE_LIMITED_REFUSAL }));
      limiters.set(limit, limiter);
      this.limiters.set(route, limiter);
    }
    const waiting: Gauge<'type'> = metrics.gauge({
      name: 'um_gateway_messages_waiting',
      help: 'Gateway messages over their rate waiting to be handled (the latest of each gateway), by type',
      labelNames: ['type'],
      collect: () => {
        for (const [route, pacer] of this.pacers) waiting.set({ type: route.type }, pacer.waiting);
      },
    });

    this.register();
  }

  // Here, not in onModuleInit: the MQTT server of a hybrid app listens, and subscribes to the
  // patterns registered by then, before the application's init hooks run.
  private register(): void {
    const registered = this.subscriber.getHandlers();
    for (const route of this.routes) {
      if (!registered.has(route.pattern)) this.subscriber.addDirectRoute(route.pattern, (topic, data) => this.receive(route, topic, data));
    }
  }

  /** Resolves false when the message could not be stored (the API is shutting down): it must be delivered again. */
  async receive(route: GatewayRoute, topic: string, data: Buffer): Promise<boolean> {
    const gatewayId = gatewayIdOf(route, topic);
    if (gatewayId === null) {
      this.reject(INVALID_TOPIC, topic, `not a gateway topic: ${topic}`);
      return true;
    }
    // Before decodeFrame: its CRC reads every byte of whatever size the broker let through.
    if (data.byteLength > route.maxFrameBytes) {
      this.reject(route.tooLargeReason, gatewayId, `${route.type}: frame has ${data.byteLength} bytes, more than ${route.maxFrameBytes}`);
      return true;
    }
    // Before decodeFrame too: a gateway's flood costs a token check per message, not a CRC and a parse.
    if (this.limiters.get(route)?.admits(gatewayId) === false) return true;
    const pacer = this.pacers.get(route);
    if (pacer) return pacer.pace(gatewayId, data, (frame) => this.handle(route, gatewayId, frame));
    return this.handle(route, gatewayId, data);
  }

  // Waiting messages stay unacknowledged: the broker delivers them again.
  onApplicationShutdown(): void {
    for (const pacer of this.pacers.values()) pacer.close();
  }

  private async handle(route: GatewayRoute, gatewayId: string, data: Buffer): Promise<boolean> {
    try {
      const { payload, timestampSeconds } = decodeFrame(data);
      this.received.get(route)?.inc();
      this.clock.note(timestampSeconds);
      const handle = route.decode(payload, timestampSeconds);
      if (route.gated && !(await this.gate.mayServe(gatewayId))) return true;
      return await handle(gatewayId);
    } catch (error) {
      if (error instanceof FrameDecodeError || error instanceof ProtocolV2Error) this.reject(error.reason, gatewayId, `${route.type}: ${error.message}`);
      else if (error instanceof PayloadError) this.reject(error.code, gatewayId, `${route.type}: ${error.message}`);
      else {
        this.failed.inc({ type: route.type });
        this.logger.error(`Gateway ${gatewayId}: ${route.type} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      return true;
    }
  }

  private reject(reason: string, gatewayId: string, message: string): void {
    this.rejected.inc({ reason });
    this.logger.warn(`Gateway ${gatewayId}: rejected message (${reason}): ${message}`);
  }
}
