import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AppConfigService } from '../config/app-config.service';
import { DatabaseIndexes } from './database-indexes.service';

@Module({
  imports: [
    MongooseModule.forRootAsync({
      inject: [AppConfigService],
      useFactory: (config: AppConfigService) => ({
        uri: config.get('MONGO_URL'),
        // DatabaseIndexes builds them, choosing which by the database engine.
        autoIndex: false,
        serverSelectionTimeoutMS: 5000,
        retryAttempts: 20,
        retryDelay: 1000,
      }),
    }),
  ],
  providers: [DatabaseIndexes],
  exports: [DatabaseIndexes],
})
export class DatabaseModule {}
