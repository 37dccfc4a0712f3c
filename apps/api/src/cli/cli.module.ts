import { Module } from '@nestjs/common';
import { CompaniesModule } from '../companies/companies.module';
import { AppConfigModule } from '../config/app-config.module';
import { DatabaseModule } from '../database/database.module';
import { EventsModule } from '../events/events.module';
import { UsersModule } from '../users/users.module';
import { BootstrapDataService } from './bootstrap-data.service';

/** What the bootstrap commands need: configuration, database, users and companies; no HTTP, no MQTT. */
@Module({
  imports: [AppConfigModule, DatabaseModule, EventsModule, CompaniesModule, UsersModule],
  providers: [BootstrapDataService],
})
export class CliModule {}
