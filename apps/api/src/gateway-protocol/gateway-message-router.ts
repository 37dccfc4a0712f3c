import { Injectable, Logger } from '@nestjs/common';
import { decodeFrame, FrameDecodeError, PayloadError } from '@upgrade-manager/frame-codec';
import { ProtocolV2Error } from '@upgrade-manager/protocol-v2';
import type { Counter } from 'prom-client';
import { FrameClockWatch } from '../gateway-admission/frame-clock-watch';
import { GatewayRequestGate } from '../gateway-admission/gateway-request-gate';
import { DeliveryProgressService } from '../image-delivery/delivery-progress.service';
import { ImageDeliveryService } from '../image-delivery/image-delivery.service';
import { MetricsService } from '../metrics/metrics.service';
import { RawFrameMqttServer } from '../mqtt/raw-frame-mqtt.server';
import { gatewayIdOf, type GatewayRoute } from './gateway-route';
import { gatewayRoutes } from './gateway-routes';
import { GatewayProtocolService } from './gateway-protocol.service';

/** Reason label for a message whose topic does not end in a valid gateway id. */
const INVALID_TOPIC = 'INVALID_TOPIC';

/**
 * The one entry of gateway messages: each TOCLOUD topic is subscribed once (through the shared
 * group, see MqttModule) and routed to its one handler with the frame decoded once. A message that
 * cannot be decoded is counted and dropped; nothing here throws, whatever a gateway sends.
 */
@Injectable()
export class GatewayMessageRouter {
  private readonly logger = new Logger(GatewayMessageRouter.name);
  readonly routes: readonly GatewayRoute[];
  // One child per type: a labelled `inc` hashes its labels on every message.
  private readonly received = new Map<GatewayRoute, Counter.Internal>();
  private readonly rejected: Counter<'reason'>;
  private readonly failed: Counter<'type'>;

  constructor(
    private readonly subscriber: RawFrameMqttServer,
    private readonly gate: GatewayRequestGate,
    private readonly clock: FrameClockWatch,
    protocol: GatewayProtocolService,
    delivery: ImageDeliveryService,
    progress: DeliveryProgressService,
    metrics: MetricsService,
  ) {
    this.routes = gatewayRoutes({ protocol, delivery, progress });
    const received = metrics.counter({ name: 'um_gateway_messages_total', help: 'Gateway messages received, by type', labelNames: ['type'] });
    for (const route of this.routes) this.received.set(route, received.labels({ type: route.type }));
    this.rejected = metrics.counter({ name: 'um_frames_rejected_total', help: 'Gateway messages rejected, by reason', labelNames: ['reason'] });
    this.failed = metrics.counter({ name: 'um_gateway_message_errors_total', help: 'Gateway messages whose handling failed, by type', labelNames: ['type'] });

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
