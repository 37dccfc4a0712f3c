import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { EventListDto, ListEventsQueryDto } from '@upgrade-manager/dto';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { EventsService } from './events.service';

@ApiTags('events')
@ApiBearerAuth()
@Controller('events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @ApiOperation({ summary: 'The event log, newest first; every company for a super user, the own company otherwise' })
  @ApiOkResponse({ type: EventListDto })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListEventsQueryDto): Promise<EventListDto> {
    return this.events.list(principal, query);
  }
}
