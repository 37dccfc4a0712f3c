import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Gateway, GatewaySchema } from './gateway.schema';
import { GatewaysStore } from './gateways.store';

/** The gateways collection's writes, for every feature that changes a gateway (see GatewaysStore). */
@Module({
  imports: [MongooseModule.forFeature([{ name: Gateway.name, schema: GatewaySchema }])],
  providers: [GatewaysStore],
  exports: [GatewaysStore],
})
export class GatewaysStoreModule {}
