import { Module } from '@nestjs/common';
import { CompaniesModule } from '../companies/companies.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { GatewayAdmissionModule } from '../gateway-admission/gateway-admission.module';
import { GatewayMessagingModule } from '../gateway-messaging/gateway-messaging.module';
import { GatewaysModule } from '../gateways/gateways.module';
import { DeliveryProgressModule } from '../image-delivery/delivery-progress.module';
import { ImageDeliveryModule } from '../image-delivery/image-delivery.module';
import { LiveModule } from '../live/live.module';
import { MqttModule } from '../mqtt/mqtt.module';
import { VersionsModule } from '../versions/versions.module';
import { GatewayActivityService } from './gateway-activity.service';
import { GatewayMessageRouter } from './gateway-message-router';
import { GatewayProtocolService } from './gateway-protocol.service';

/** Gateway → cloud: every TOCLOUD topic routed once (GatewayMessageRouter) to the v1 rules here or to protocol-v2 delivery. */
@Module({
  imports: [
    MqttModule,
    LiveModule,
    GatewayMessagingModule,
    CompaniesModule,
    GatewaysModule,
    GatewayAdmissionModule,
    DeploymentsModule,
    VersionsModule,
    ImageDeliveryModule,
    DeliveryProgressModule,
  ],
  providers: [GatewayMessageRouter, GatewayProtocolService, GatewayActivityService],
  exports: [GatewayActivityService],
})
export class GatewayProtocolModule {}
