import { Module } from '@nestjs/common';
import { DeploymentsModule } from '../deployments/deployments.module';
import { DeliveryProgressService } from './delivery-progress.service';
import { ImageDeliveryController } from './image-delivery.controller';
import { ImageDeliveryModule } from './image-delivery.module';
import { LiveModule } from '../live/live.module';

/** The gateway side of protocol v2: chunk requests and progress reports (beside DeploymentsModule, which offers). */
@Module({
  imports: [LiveModule, ImageDeliveryModule, DeploymentsModule],
  controllers: [ImageDeliveryController],
  providers: [DeliveryProgressService],
  exports: [DeliveryProgressService],
})
export class DeliveryProgressModule {}
