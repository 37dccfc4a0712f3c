import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ApiInstance, ApiInstanceSchema } from './api-instance.schema';
import { ApiInstances } from './api-instances.service';
import { ClusterBus } from './cluster-bus.service';
import { Lease, LeaseSchema } from './lease.schema';
import { LeaseService } from './lease.service';

/** What the API processes of one deployment share besides their data: who is alive, the internal bus and leases. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: Lease.name, schema: LeaseSchema },
      { name: ApiInstance.name, schema: ApiInstanceSchema },
    ]),
  ],
  providers: [ApiInstances, ClusterBus, LeaseService],
  exports: [ApiInstances, ClusterBus, LeaseService],
})
export class ClusterModule {}
