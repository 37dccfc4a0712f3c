import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { CompaniesModule } from '../companies/companies.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { GatewaysModule } from '../gateways/gateways.module';
import { VersionsModule } from '../versions/versions.module';
import { GatewayActivityService } from './gateway-activity.service';
import { GatewayProtocolController } from './gateway-protocol.controller';
import { GatewayProtocolService } from './gateway-protocol.service';
import { OrphanSessionAdopter } from './orphan-session-adopter.service';

@Module({
  imports: [ClusterModule, CompaniesModule, GatewaysModule, DeploymentsModule, VersionsModule],
  controllers: [GatewayProtocolController],
  providers: [GatewayProtocolService, GatewayActivityService, OrphanSessionAdopter],
  exports: [GatewayActivityService],
})
export class GatewayProtocolModule {}
