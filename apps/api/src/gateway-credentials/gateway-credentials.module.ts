import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Gateway, GatewaySchema } from '../gateways/gateway.schema';
import { DynsecControlClient } from './dynsec-control.client';
import { GatewayBrokerAccounts } from './gateway-broker-accounts';
import { GatewayCredential, GatewayCredentialSchema } from './gateway-credential.schema';
import { GatewayCredentialsController } from './gateway-credentials.controller';
import { GatewayCredentialsService } from './gateway-credentials.service';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: GatewayCredential.name, schema: GatewayCredentialSchema },
      // Read only: a gateway must exist and be in the caller's scope.
      { name: Gateway.name, schema: GatewaySchema },
    ]),
  ],
  controllers: [GatewayCredentialsController],
  providers: [DynsecControlClient, GatewayBrokerAccounts, GatewayCredentialsService],
})
export class GatewayCredentialsModule {}
