import { Controller, Delete, Get, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { GatewayCredentialStatusDto, GatewayCredentialsDto } from '@upgrade-manager/dto';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { GatewayCredentialsService } from './gateway-credentials.service';

@ApiTags('gateways')
@ApiBearerAuth()
@ApiForbiddenResponse({ description: 'Users cannot manage gateways.' })
@ApiNotFoundResponse({ description: "Unknown gateway, or another company's." })
@Controller('gateways/:gatewayId/credentials')
export class GatewayCredentialsController {
  constructor(private readonly credentials: GatewayCredentialsService) {}

  @Get()
  @ApiOperation({ summary: "State of the gateway's own broker account (never the password)" })
  @ApiOkResponse({ type: GatewayCredentialStatusDto })
  status(@CurrentPrincipal() principal: Principal, @Param('gatewayId') gatewayId: string): Promise<GatewayCredentialStatusDto> {
    return this.credentials.status(principal, gatewayId);
  }

  @Post()
  @ApiOperation({
    summary: 'Issue a broker account for the gateway, or rotate its password',
    description:
      'User name and MQTT client id are the gatewayId. The password is in this answer only. Rotating disconnects the gateway ' +
      'until it logs in with the new password. Admins of the gateway’s company and super users.',
  })
  @ApiCreatedResponse({ type: GatewayCredentialsDto })
  @ApiConflictResponse({ description: 'The gatewayId is the user name of a fixed broker account.' })
  @ApiServiceUnavailableResponse({ description: 'The broker did not take the change.' })
  issue(@CurrentPrincipal() principal: Principal, @Param('gatewayId') gatewayId: string): Promise<GatewayCredentialsDto> {
    return this.credentials.issue(principal, gatewayId);
  }

  @Delete()
  @ApiOperation({ summary: "Revoke the gateway's broker account: its open connection is closed and it is refused from now on" })
  @ApiOkResponse({ type: GatewayCredentialStatusDto })
  @ApiConflictResponse({ description: 'No active credentials.' })
  @ApiServiceUnavailableResponse({ description: 'The broker did not take the change.' })
  revoke(@CurrentPrincipal() principal: Principal, @Param('gatewayId') gatewayId: string): Promise<GatewayCredentialStatusDto> {
    return this.credentials.revoke(principal, gatewayId);
  }
}
