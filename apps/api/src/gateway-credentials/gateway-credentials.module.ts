import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { GatewaysModule } from '../gateways/gateways.module';
import { DynsecControlClient } from './dynsec-control.client';
import { GatewayBrokerAccounts } from './gateway-broker-accounts';
import { GatewayCredential, GatewayCredentialSchema } from './gateway-credential.schema';
import { GatewayCredentialsController } from './gateway-credentials.controller';
import { GatewayCredentialsService } from './gateway-credentials.service';
import { EventsModule } from '../events/events.module';

@Module({
  imports: [
    EventsModule,
    MongooseModule.forFeature([{ name: GatewayCredential.name, schema: GatewayCredentialSchema }]),
    // A gateway must exist and be in the caller's scope.
    GatewaysModule,
  ],
  controllers: [GatewayCredentialsController],
  providers: [DynsecControlClient, GatewayBrokerAccounts, GatewayCredentialsService],
})
export class GatewayCredentialsModule {}
