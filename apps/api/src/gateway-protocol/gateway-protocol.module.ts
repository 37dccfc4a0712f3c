import { Module } from '@nestjs/common';
import { CompaniesModule } from '../companies/companies.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { GatewayAdmissionModule } from '../gateway-admission/gateway-admission.module';
import { GatewaysModule } from '../gateways/gateways.module';
import { GatewaysStoreModule } from '../gateways/gateways-store.module';
import { VersionsModule } from '../versions/versions.module';
import { GatewayActivityService } from './gateway-activity.service';
import { GatewayProtocolController } from './gateway-protocol.controller';
import { GatewayProtocolService } from './gateway-protocol.service';

@Module({
  imports: [CompaniesModule, GatewaysModule, GatewaysStoreModule, GatewayAdmissionModule, DeploymentsModule, VersionsModule],
  controllers: [GatewayProtocolController],
  providers: [GatewayProtocolService, GatewayActivityService],
  exports: [GatewayActivityService],
})
export class GatewayProtocolModule {}
