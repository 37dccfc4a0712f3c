import { Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module';
import { ClusterModule } from './cluster/cluster.module';
import { CompaniesModule } from './companies/companies.module';
import { AppConfigModule } from './config/app-config.module';
import { DatabaseModule } from './database/database.module';
import { DeploymentsModule } from './deployments/deployments.module';
import { EventsModule } from './events/events.module';
import { GatewayProtocolModule } from './gateway-protocol/gateway-protocol.module';
import { GatewayCredentialsModule } from './gateway-credentials/gateway-credentials.module';
import { GatewaysModule } from './gateways/gateways.module';
import { HealthModule } from './health/health.module';
import { DeliveryProgressModule } from './image-delivery/delivery-progress.module';
import { LiveModule } from './live/live.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { MqttModule } from './mqtt/mqtt.module';
import { RolloutsModule } from './rollouts/rollouts.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { UsersModule } from './users/users.module';
import { VersionsModule } from './versions/versions.module';
import { WebAppModule } from './web/web-app.module';

@Module({
  imports: [
    AppConfigModule,
    LoggingModule,
    DatabaseModule,
    MetricsModule,
    MqttModule,
    ClusterModule,
    LiveModule,
    EventsModule,
    AuthModule,
    RateLimitModule,
    HealthModule,
    CompaniesModule,
    UsersModule,
    VersionsModule,
    GatewaysModule,
    GatewayCredentialsModule,
    DeploymentsModule,
    GatewayProtocolModule,
    RolloutsModule,
    DeliveryProgressModule,
    // Feature modules go here.
    WebAppModule.register(process.env['WEB_DIST_DIR'] ?? 'dist/apps/web'),
  ],
})
export class AppModule {}
