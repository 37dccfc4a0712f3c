import { Module } from '@nestjs/common';
import { ClusterBus } from './cluster-bus.service';

/** What the API processes of one deployment share besides the database: the internal bus and leases. */
@Module({
  providers: [ClusterBus],
  exports: [ClusterBus],
})
export class ClusterModule {}
