import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ClusterModule } from '../cluster/cluster.module';
import { CompaniesModule } from '../companies/companies.module';
import { GatewayAdmissionModule } from '../gateway-admission/gateway-admission.module';
import { Deployment, DeploymentSchema } from '../deployments/deployment.schema';
import { DeploymentTarget, DeploymentTargetSchema } from '../deployments/deployment-target.schema';
import { Gateway, GatewaySchema } from './gateway.schema';
import { GatewaysController } from './gateways.controller';
import { GatewaysMetrics } from './gateways.metrics';
import { GatewaySelectionService } from './gateway-selection.service';
import { GatewaysService } from './gateways.service';
import { GatewaysStoreModule } from './gateways-store.module';
import { EventsModule } from '../events/events.module';
import { LiveModule } from '../live/live.module';

@Module({
  imports: [
    EventsModule,
    LiveModule,
    ClusterModule,
    CompaniesModule,
    GatewayAdmissionModule,
    GatewaysStoreModule,
    MongooseModule.forFeature([
      { name: Gateway.name, schema: GatewaySchema },
      // Read here for a gateway's history; written by the deployments feature.
      { name: DeploymentTarget.name, schema: DeploymentTargetSchema },
      { name: Deployment.name, schema: DeploymentSchema },
    ]),
  ],
  controllers: [GatewaysController],
  providers: [GatewaysService, GatewaysMetrics, GatewaySelectionService],
  exports: [GatewaysService, GatewaySelectionService, MongooseModule],
})
export class GatewaysModule {}
