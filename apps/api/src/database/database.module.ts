import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AppConfigService } from '../config/app-config.service';

@Module({
  imports: [
    MongooseModule.forRootAsync({
      inject: [AppConfigService],
      useFactory: (config: AppConfigService) => ({
        uri: config.get('MONGO_URL'),
        serverSelectionTimeoutMS: 5000,
        retryAttempts: 20,
        retryDelay: 1000,
      }),
    }),
  ],
})
export class DatabaseModule {}
