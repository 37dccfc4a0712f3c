import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  BulkTagGatewaysDto,
  BulkTagResultDto,
  GatewayDto,
  GatewayFilterRequestDto,
  GatewayMatchCountDto,
  GatewayHistoryDto,
  GatewayHistoryQueryDto,
  GatewayListDto,
  GatewaySummaryDto,
  ListGatewaysQueryDto,
  UpdateGatewayDto,
} from '@upgrade-manager/dto';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { GatewaySelectionService } from './gateway-selection.service';
import { GatewaysService } from './gateways.service';

@ApiTags('gateways')
@ApiBearerAuth()
@Controller('gateways')
export class GatewaysController {
  constructor(
    private readonly gateways: GatewaysService,
    private readonly selection: GatewaySelectionService,
  ) {}

  @Get()
  @ApiOperation({ summary: "Gateways the caller may see (its company's, or all for super users), paged, filtered and sorted" })
  @ApiOkResponse({ type: GatewayListDto })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListGatewaysQueryDto): Promise<GatewayListDto> {
    return this.gateways.list(principal, query);
  }

  @Get('summary')
  @ApiOperation({ summary: 'Dashboard numbers: total, online, version distribution, pending upgrades' })
  @ApiOkResponse({ type: GatewaySummaryDto })
  summary(@CurrentPrincipal() principal: Principal): Promise<GatewaySummaryDto> {
    return this.gateways.summary(principal);
  }

  @Post('match')
  @HttpCode(200)
  @ApiOperation({ summary: 'How many enabled gateways a filter (as of a rollout) matches now, per company' })
  @ApiOkResponse({ type: GatewayMatchCountDto })
  @ApiForbiddenResponse({ description: "Another company's filter." })
  match(@CurrentPrincipal() principal: Principal, @Body() dto: GatewayFilterRequestDto): Promise<GatewayMatchCountDto> {
    return this.selection.matchCount(principal, dto.filter);
  }

  @Post('tags')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add and remove tags on every gateway a filter matches (admins of its company, super users)' })
  @ApiOkResponse({ type: BulkTagResultDto })
  @ApiForbiddenResponse()
  tag(@CurrentPrincipal() principal: Principal, @Body() dto: BulkTagGatewaysDto): Promise<BulkTagResultDto> {
    return this.selection.bulkTag(principal, dto);
  }

  @Get(':gatewayId')
  @ApiOkResponse({ type: GatewayDto })
  @ApiNotFoundResponse({ description: "Unknown gateway, or another company's." })
  get(@CurrentPrincipal() principal: Principal, @Param('gatewayId') gatewayId: string): Promise<GatewayDto> {
    return this.gateways.get(principal, gatewayId);
  }

  @Patch(':gatewayId')
  @ApiOperation({
    summary: "Edit name, address, position, enabled or tags (admins of the gateway's company, super users); move it to another company (super users)",
  })
  @ApiOkResponse({ type: GatewayDto })
  @ApiForbiddenResponse()
  @ApiNotFoundResponse()
  update(@CurrentPrincipal() principal: Principal, @Param('gatewayId') gatewayId: string, @Body() dto: UpdateGatewayDto): Promise<GatewayDto> {
    return this.gateways.update(principal, gatewayId, dto);
  }

  @Post(':gatewayId/accept')
  @ApiOperation({ summary: 'Accept a gateway waiting for approval (admins of its company, super users)' })
  @ApiOkResponse({ type: GatewayDto })
  @ApiForbiddenResponse()
  @ApiNotFoundResponse()
  accept(@CurrentPrincipal() principal: Principal, @Param('gatewayId') gatewayId: string): Promise<GatewayDto> {
    return this.gateways.accept(principal, gatewayId);
  }

  @Get(':gatewayId/history')
  @ApiOperation({ summary: 'Events and deployments of one gateway, newest first' })
  @ApiOkResponse({ type: GatewayHistoryDto })
  @ApiNotFoundResponse()
  history(@CurrentPrincipal() principal: Principal, @Param('gatewayId') gatewayId: string, @Query() query: GatewayHistoryQueryDto): Promise<GatewayHistoryDto> {
    return this.gateways.history(principal, gatewayId, query.limit);
  }
}
