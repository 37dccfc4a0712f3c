import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CreateDeploymentDto, DeploymentCreatedDto, DeploymentDetailDto, DeploymentListDto, ListDeploymentsQueryDto } from '@upgrade-manager/dto';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { DeploymentsService } from './deployments.service';

@ApiTags('deployments')
@ApiBearerAuth()
@Controller('deployments')
export class DeploymentsController {
  constructor(private readonly deployments: DeploymentsService) {}

  @Post()
  @ApiOperation({ summary: 'Deploy a version to a list of gateways, a company, or (super users) every gateway' })
  @ApiCreatedResponse({ type: DeploymentCreatedDto })
  @ApiForbiddenResponse({ description: 'Role user, another company, or all without being super.' })
  @ApiNotFoundResponse({ description: 'Unknown version, or a gateway the caller cannot see.' })
  @ApiConflictResponse({ description: 'A listed gateway is disabled.' })
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateDeploymentDto): Promise<DeploymentCreatedDto> {
    return this.deployments.create(principal, dto);
  }

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
