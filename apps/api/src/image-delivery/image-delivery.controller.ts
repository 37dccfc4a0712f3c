import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, MqttContext, Payload } from '@nestjs/microservices';
import { parseV2Topic, TOCLOUD_V2_SUBSCRIPTIONS } from '@upgrade-manager/protocol-v2';
import type { Counter } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';
import { DeliveryProgressService } from './delivery-progress.service';
import { ImageDeliveryService } from './image-delivery.service';

/** The two gateway → cloud messages of protocol v2, as raw frames. Nothing here throws. */
@Controller()
export class ImageDeliveryController {
  private readonly logger = new Logger(ImageDeliveryController.name);
  private readonly failed: Counter<'type'>;

  constructor(
    private readonly delivery: ImageDeliveryService,
    private readonly progress: DeliveryProgressService,
    metrics: MetricsService,
  ) {
    this.failed = metrics.counter({ name: 'um_gateway_message_errors_total', help: 'Gateway messages whose handling failed, by type', labelNames: ['type'] });
  }

  @EventPattern(TOCLOUD_V2_SUBSCRIPTIONS.REQUEST_CHUNKS)
  requestChunks(@Payload() data: Buffer, @Ctx() context: MqttContext): Promise<void> {
    return this.guarded(context.getTopic(), (gatewayId) => this.delivery.receiveChunkRequest(gatewayId, data));
  }

  @EventPattern(TOCLOUD_V2_SUBSCRIPTIONS.UPGRADE_PROGRESS)
  upgradeProgress(@Payload() data: Buffer, @Ctx() context: MqttContext): Promise<void> {
    return this.guarded(context.getTopic(), (gatewayId) => this.progress.receive(gatewayId, data));
  }

  private async guarded(topic: string, handle: (gatewayId: string) => Promise<void>): Promise<void> {
    const parsed = parseV2Topic(topic);
    if (parsed === null || parsed.direction !== 'toCloud') return;
    try {
      await handle(parsed.gatewayId);
    } catch (error) {
      this.failed.inc({ type: parsed.type });
      this.logger.error(`Gateway ${parsed.gatewayId}: ${parsed.type} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
