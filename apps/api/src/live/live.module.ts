import { Global, Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { LiveController } from './live.controller';
import { LiveEventsService } from './live-events.service';

@Global()
@Module({
  imports: [ClusterModule],
  controllers: [LiveController],
  providers: [LiveEventsService],
  exports: [LiveEventsService],
})
export class LiveModule {}
