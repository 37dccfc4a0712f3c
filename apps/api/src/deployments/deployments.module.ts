import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ClusterModule } from '../cluster/cluster.module';
import { GatewaysModule } from '../gateways/gateways.module';
import { GatewaysStoreModule } from '../gateways/gateways-store.module';
import { ImageDeliveryModule } from '../image-delivery/image-delivery.module';
import { VersionsModule } from '../versions/versions.module';
import { Rollout, RolloutSchema } from '../rollouts/rollout.schema';
import { DeploymentTargetList, DeploymentTargetListSchema } from './deployment-target-list.schema';
import { DeploymentTarget, DeploymentTargetSchema } from './deployment-target.schema';
import { DeploymentTargetsStore } from './deployment-targets.store';
import { Deployment, DeploymentSchema } from './deployment.schema';
import { DeploymentTimeoutSweeper } from './deployment-timeout.sweeper';
import { DeploymentTracker } from './deployment-tracker.service';
import { DeploymentsController } from './deployments.controller';
import { DeploymentsService } from './deployments.service';
import { GatewayMessagingModule } from '../gateway-messaging/gateway-messaging.module';
import { EventsModule } from '../events/events.module';
import { LiveModule } from '../live/live.module';

@Module({
  imports: [
    EventsModule,
    LiveModule,
    GatewayMessagingModule,
    ClusterModule,
    GatewaysModule,
    GatewaysStoreModule,
    VersionsModule,
    ImageDeliveryModule,
    MongooseModule.forFeature([
      { name: Deployment.name, schema: DeploymentSchema },
      { name: DeploymentTarget.name, schema: DeploymentTargetSchema },
      { name: DeploymentTargetList.name, schema: DeploymentTargetListSchema },
      { name: Rollout.name, schema: RolloutSchema },
    ]),
  ],
  controllers: [DeploymentsController],
  providers: [DeploymentsService, DeploymentTracker, DeploymentTimeoutSweeper, DeploymentTargetsStore],
  exports: [DeploymentTracker, DeploymentsService],
})
export class DeploymentsModule {}
