import { Body, Controller, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CreateDeploymentDto, DeploymentRolloutCreatedDto } from '@upgrade-manager/dto';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { DeploymentRolloutsService } from './deployment-rollouts.service';

/** `POST /api/deployments`, here rather than in deployments/ because it makes a rollout too (deployments/ knows nothing of rollouts). */
@ApiTags('deployments')
@ApiBearerAuth()
@Controller('deployments')
export class PlainDeploymentsController {
  constructor(private readonly deploymentRollouts: DeploymentRolloutsService) {}

  @Post()
  @ApiOperation({
    operationId: 'DeploymentsController_create',
    summary: 'Deploy a version to a list of gateways, a company, or (super users) every gateway; it is followed as a one-phase rollout',
  })
  @ApiCreatedResponse({ type: DeploymentRolloutCreatedDto })
  @ApiForbiddenResponse({ description: 'Role user, another company, or all without being super.' })
  @ApiNotFoundResponse({ description: 'Unknown version, or a gateway the caller cannot see.' })
  @ApiConflictResponse({ description: 'A listed gateway is disabled.' })
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateDeploymentDto): Promise<DeploymentRolloutCreatedDto> {
    return this.deploymentRollouts.create(principal, dto);
  }
}
