import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ClusterModule } from '../cluster/cluster.module';
import { LiveController } from './live.controller';
import { LiveEventsService } from './live-events.service';
import { LiveStreamSlots } from './live-stream-slots';
import { StreamLifetime } from './stream-lifetime';

@Module({
  imports: [AuthModule, ClusterModule],
  controllers: [LiveController],
  providers: [LiveEventsService, StreamLifetime, LiveStreamSlots],
  exports: [LiveEventsService],
})
export class LiveModule {}
