import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { EVENT_TYPES, type EventType } from './event-types';
import { OFFSET_MAX } from './paging-limits';
import { COMPANY_ID_PATTERN } from './users.dto';

export const EVENTS_PAGE_MAX = 500;

export class EventActorDto {
  @ApiProperty() userId!: string;
  @ApiProperty() email!: string;
}

export class EventDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: EVENT_TYPES }) type!: EventType;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: EventActorDto, nullable: true, description: 'null when the system or a gateway acted.' })
  actor!: EventActorDto | null;
  @ApiProperty() companyId!: string;
  @ApiProperty({ type: String, nullable: true }) gatewayId!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) details!: Record<string, unknown>;
}

export class EventListDto {
  @ApiProperty({ type: [EventDto] }) items!: EventDto[];
  @ApiProperty({ description: 'Number of events matching the filters (all pages).' }) total!: number;
}

/** Filters of the event log; results are newest first. */
export class ListEventsQueryDto {
  @ApiPropertyOptional({ description: 'Events done by this user.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  userId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(128)
  gatewayId?: string;

  @ApiPropertyOptional({ enum: EVENT_TYPES })
  @IsOptional()
  @IsIn(EVENT_TYPES)
  type?: EventType;

  @ApiPropertyOptional({ description: 'Super users only: one company.' })
  @IsOptional()
  @Matches(COMPANY_ID_PATTERN)
  companyId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Inclusive lower bound.' })
  @IsOptional()
  @IsISO8601()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive upper bound.' })
  @IsOptional()
  @IsISO8601()
  to?: string;

  @ApiPropertyOptional({ default: 0, minimum: 0, maximum: OFFSET_MAX })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(OFFSET_MAX)
  offset?: number;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: EVENTS_PAGE_MAX })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(EVENTS_PAGE_MAX)
  limit?: number;
}
