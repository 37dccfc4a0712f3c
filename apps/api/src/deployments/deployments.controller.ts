import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DeploymentDetailDto, DeploymentListDto, ListDeploymentsQueryDto } from '@upgrade-manager/dto';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { DeploymentsService } from './deployments.service';

@ApiTags('deployments')
@ApiBearerAuth()
// POST /api/deployments is rollouts/plain-deployments.controller.ts: a plain deployment is a one-phase rollout.
@Controller('deployments')
export class DeploymentsController {
  constructor(private readonly deployments: DeploymentsService) {}

  @Get()
  @ApiOperation({ summary: 'Deployments that reached the caller’s company (all for super users), newest first' })
  @ApiOkResponse({ type: DeploymentListDto })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListDeploymentsQueryDto): Promise<DeploymentListDto> {
    return this.deployments.list(principal, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: DeploymentDetailDto })
  @ApiNotFoundResponse()
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<DeploymentDetailDto> {
    return this.deployments.get(principal, id);
  }
}
