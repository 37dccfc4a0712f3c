import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ClusterModule } from '../cluster/cluster.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { GatewaysModule } from '../gateways/gateways.module';
import { VersionsModule } from '../versions/versions.module';
import { DeploymentRolloutTargets } from './deployment-rollout-targets';
import { DeploymentRolloutsService } from './deployment-rollouts.service';
import { PlainDeploymentsController } from './plain-deployments.controller';
import { RolloutController } from './rollout-controller.service';
import { RolloutBatch, RolloutBatchSchema, RolloutSlots, RolloutSlotsSchema, RolloutTurn, RolloutTurnSchema } from './rollout-order.schema';
import { RolloutOrderStore } from './rollout-order.store';
import { RolloutOutcomes } from './rollout-outcomes.service';
import { RolloutTarget, RolloutTargetSchema } from './rollout-target.schema';
import { RolloutTargetsStore } from './rollout-targets.store';
import { Rollout, RolloutSchema } from './rollout.schema';
import { RolloutsController } from './rollouts.controller';
import { RolloutsService } from './rollouts.service';
import { EventsModule } from '../events/events.module';
import { LiveModule } from '../live/live.module';

@Module({
  imports: [
    EventsModule,
    LiveModule,
    ClusterModule,
    GatewaysModule,
    VersionsModule,
    DeploymentsModule,
    MongooseModule.forFeature([
      { name: Rollout.name, schema: RolloutSchema },
      { name: RolloutTarget.name, schema: RolloutTargetSchema },
      { name: RolloutSlots.name, schema: RolloutSlotsSchema },
      { name: RolloutBatch.name, schema: RolloutBatchSchema },
      { name: RolloutTurn.name, schema: RolloutTurnSchema },
    ]),
  ],
  controllers: [RolloutsController, PlainDeploymentsController],
  providers: [RolloutsService, RolloutTargetsStore, RolloutOrderStore, RolloutOutcomes, RolloutController, DeploymentRolloutsService, DeploymentRolloutTargets],
  exports: [RolloutsService],
})
export class RolloutsModule {}
