import { Body, Controller, Get, HttpCode, Param, ParseEnumPipe, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import {
  CreateRolloutDto,
  ListRolloutTargetsQueryDto,
  ListRolloutsQueryDto,
  ROLLOUT_ACTIONS,
  RolloutDetailDto,
  RolloutListDto,
  RolloutTargetListDto,
  type RolloutAction,
} from '@upgrade-manager/dto';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { RolloutsService } from './rollouts.service';

@ApiTags('rollouts')
@ApiBearerAuth()
@Controller('rollouts')
export class RolloutsController {
  constructor(private readonly rollouts: RolloutsService) {}

  @Post()
  @ApiOperation({ summary: 'Start a staged rollout of a version to the gateways a filter matches' })
  @ApiCreatedResponse({ type: RolloutDetailDto })
  @ApiForbiddenResponse({ description: "Role user, or another company's gateways." })
  @ApiNotFoundResponse({ description: 'Unknown version, or no gateway matches (and not continuous).' })
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateRolloutDto): Promise<RolloutDetailDto> {
    return this.rollouts.create(principal, dto);
  }

  @Get()
  @ApiOperation({ summary: "Rollouts of the caller's company (all for super users), newest first" })
  @ApiOkResponse({ type: RolloutListDto })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListRolloutsQueryDto): Promise<RolloutListDto> {
    return this.rollouts.list(principal, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: RolloutDetailDto })
  @ApiNotFoundResponse()
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<RolloutDetailDto> {
    return this.rollouts.get(principal, id);
  }

  @Get(':id/targets')
  @ApiOperation({ summary: 'The targets of a rollout in start order, by phase and state' })
  @ApiOkResponse({ type: RolloutTargetListDto })
  @ApiNotFoundResponse()
  targets(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query() query: ListRolloutTargetsQueryDto): Promise<RolloutTargetListDto> {
    return this.rollouts.listTargets(principal, id, query);
  }

  @Post(':id/:action')
  @HttpCode(200)
  @ApiOperation({ summary: 'pause, resume, cancel, or approve the next phase (recorded in the event log)' })
  @ApiParam({ name: 'action', enum: ROLLOUT_ACTIONS })
  @ApiOkResponse({ type: RolloutDetailDto })
  @ApiConflictResponse({ description: 'The action does not apply in the current state.' })
  @ApiNotFoundResponse()
  act(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('action', new ParseEnumPipe(Object.fromEntries(ROLLOUT_ACTIONS.map((action) => [action, action])))) action: RolloutAction,
  ): Promise<RolloutDetailDto> {
    return this.rollouts.act(principal, id, action);
  }
}
