import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Gateway, GatewaySchema } from '../gateways/gateway.schema';
import { VersionsModule } from '../versions/versions.module';
import { ImageDeliveryService } from './image-delivery.service';
import { ImageOffer, ImageOfferSchema } from './image-offer.schema';
import { MqttModule } from '../mqtt/mqtt.module';

/** Protocol v2 delivery (docs/protocol-v2.md): offers, the shared chunk stream, chunk requests. */
@Module({
  imports: [
    MqttModule,
    VersionsModule,
    MongooseModule.forFeature([
      { name: ImageOffer.name, schema: ImageOfferSchema },
      { name: Gateway.name, schema: GatewaySchema },
    ]),
  ],
  providers: [ImageDeliveryService],
  exports: [ImageDeliveryService, MongooseModule],
})
export class ImageDeliveryModule {}
