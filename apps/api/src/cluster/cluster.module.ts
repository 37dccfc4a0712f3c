import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ApiInstance, ApiInstanceSchema } from './api-instance.schema';
import { ApiInstances } from './api-instances.service';
import { ClusterBus } from './cluster-bus.service';
import { Lease, LeaseSchema } from './lease.schema';
import { LeaseService } from './lease.service';
import { OrphanSessionAdopter } from './orphan-session-adopter.service';
import { MqttModule } from '../mqtt/mqtt.module';

/** What the API processes of one deployment share besides their data: who is alive, the internal bus, leases, and the broker sessions of dead ones. */
@Module({
  imports: [
    MqttModule,
    MongooseModule.forFeature([
      { name: Lease.name, schema: LeaseSchema },
      { name: ApiInstance.name, schema: ApiInstanceSchema },
    ]),
  ],
  providers: [ApiInstances, ClusterBus, LeaseService, OrphanSessionAdopter],
  exports: [ApiInstances, ClusterBus, LeaseService],
})
export class ClusterModule {}
