import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ClusterModule } from '../cluster/cluster.module';
import { ImageSigningModule } from '../image-signing/image-signing.module';
import { ImageStorage } from './image-storage.service';
import { ResourcesWatcher } from './resources-watcher.service';
import { VersionUploadService } from './version-upload.service';
import { Version, VersionSchema } from './version.schema';
import { VersionsController } from './versions.controller';
import { VersionsMetrics } from './versions.metrics';
import { VersionsService } from './versions.service';
import { GatewayMessagingModule } from '../gateway-messaging/gateway-messaging.module';
import { EventsModule } from '../events/events.module';
import { LiveModule } from '../live/live.module';

@Module({
  imports: [
    EventsModule,
    LiveModule,
    GatewayMessagingModule,
    ClusterModule,
    MongooseModule.forFeature([{ name: Version.name, schema: VersionSchema }]),
    ImageSigningModule,
  ],
  controllers: [VersionsController],
  providers: [VersionsService, ImageStorage, VersionUploadService, ResourcesWatcher, VersionsMetrics],
  exports: [VersionsService],
})
export class VersionsModule {}
