import { Module } from '@nestjs/common';
import { DeploymentsModule } from '../deployments/deployments.module';
import { DeliveryProgressService } from './delivery-progress.service';
import { ImageDeliveryModule } from './image-delivery.module';
import { LiveModule } from '../live/live.module';

/** The gateway side of protocol v2: progress reports (beside DeploymentsModule, which offers); routed by GatewayMessageRouter. */
@Module({
  imports: [LiveModule, ImageDeliveryModule, DeploymentsModule],
  providers: [DeliveryProgressService],
  exports: [DeliveryProgressService],
})
export class DeliveryProgressModule {}
