import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { GatewaysStoreModule } from '../gateways/gateways-store.module';
import { VersionsModule } from '../versions/versions.module';
import { ImageDeliveryService } from './image-delivery.service';
import { ImageOffer, ImageOfferSchema } from './image-offer.schema';
import { MqttModule } from '../mqtt/mqtt.module';

/** Protocol v2 delivery (docs/protocol-v2.md): offers, the shared chunk stream, chunk requests. */
@Module({
  imports: [MqttModule, VersionsModule, GatewaysStoreModule, MongooseModule.forFeature([{ name: ImageOffer.name, schema: ImageOfferSchema }])],
  providers: [ImageDeliveryService],
  exports: [ImageDeliveryService, MongooseModule],
})
export class ImageDeliveryModule {}
