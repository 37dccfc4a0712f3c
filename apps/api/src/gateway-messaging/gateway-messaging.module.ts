import { Module } from '@nestjs/common';
import { MqttModule } from '../mqtt/mqtt.module';
import { GatewayMessenger } from './gateway-messenger.service';

/**
 * What the cloud sends to gateways (outbound only). Deployments and versions import it to publish;
 * the gateway protocol (inbound) imports it to answer requests. It depends on the broker alone, so
 * neither side reaches the other through it.
 */
@Module({
  imports: [MqttModule],
  providers: [GatewayMessenger],
  exports: [GatewayMessenger],
})
export class GatewayMessagingModule {}
