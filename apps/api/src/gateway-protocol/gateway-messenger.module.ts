import { Global, Module } from '@nestjs/common';
import { GatewayMessenger } from './gateway-messenger.service';

@Global()
@Module({
  providers: [GatewayMessenger],
  exports: [GatewayMessenger],
})
export class GatewayMessagingModule {}
