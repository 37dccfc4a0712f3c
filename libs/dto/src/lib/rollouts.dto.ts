import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDefined,
  ArrayMaxSize,
  ArrayMinSize,
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  Validate,
  ValidateNested,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { DistinctItems } from './distinct-items';
import { EventActorDto } from './events.dto';
import { GatewayFilterDto } from './gateway-filter.dto';
import { PageQueryDto } from './gateways.dto';

export const ROLLOUT_STATES = ['scheduled', 'running', 'waiting-approval', 'paused', 'aborted', 'cancelled', 'finished'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export const ROLLOUT_PHASE_STATES = ['pending', 'running', 'done'] as const;
export type RolloutPhaseState = (typeof ROLLOUT_PHASE_STATES)[number];

/**
 * A target's state in a rollout: waiting to be started, starting (claimed by a controller),
 * pending (its deployment waits for the gateway), then confirmed, failed, or skipped (disabled or
 * gone before its turn). A failed target with retries left goes back to waiting.
 */
export const ROLLOUT_TARGET_STATES = ['waiting', 'starting', 'pending', 'confirmed', 'failed', 'skipped'] as const;
export type RolloutTargetState = (typeof ROLLOUT_TARGET_STATES)[number];

export const ROLLOUT_ACTIONS = ['pause', 'resume', 'cancel', 'approve'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

export const ROLLOUT_PHASES_MAX = 20;
export const ROLLOUT_MAX_TARGETS = 10_000;
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;
const VERSION_PATTERN = /^\d+(\.\d+)*$/;

@ValidatorConstraint({ name: 'percentOrCount' })
class PercentOrCountConstraint implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    const phase = args.object as Record<string, unknown>;
    return (phase['percent'] === undefined) !== (phase['count'] === undefined);
  }

  defaultMessage(): string {
    return 'a phase has either percent or count';
  }
}

@ValidatorConstraint({ name: 'ianaTimeZone' })
class TimeZoneConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string' || value.length > 64) return false;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: value });
      return true;
    } catch {
      return false;
    }
  }

  defaultMessage(): string {
    return 'timeZone must be an IANA time zone such as Europe/Zurich';
  }
}

/** `percent`: the phase ends at this share of all targets (cumulative); `count`: the phase takes this many more. */
export class RolloutPhaseInputDto {
  @ApiPropertyOptional({ minimum: 0.01, maximum: 100 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.01)
  @Max(100)
  @Validate(PercentOrCountConstraint)
  percent?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: ROLLOUT_MAX_TARGETS })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(ROLLOUT_MAX_TARGETS)
  count?: number;
}

export class RolloutAbortDto {
  @ApiProperty({ minimum: 0, maximum: 1, description: 'Abort when failed / finished exceeds this, per phase and overall.' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  failureRate!: number;

  @ApiProperty({ minimum: 1, description: 'Finished targets needed before the rate counts.' })
  @IsInt()
  @Min(1)
  @Max(ROLLOUT_MAX_TARGETS)
  minFinished!: number;
}

/** Nothing new starts outside these days and hours (local time of `timeZone`; `from` > `to` spans midnight). */
export class RolloutWindowDto {
  @ApiProperty({ enum: WEEKDAYS, isArray: true })
  @IsArray()
  @ArrayNotEmpty()
  @DistinctItems()
  @IsIn(WEEKDAYS, { each: true })
  days!: Weekday[];

  @ApiProperty({ example: '22:00' })
  @Matches(TIME_OF_DAY, { message: 'from is HH:MM' })
  from!: string;

  @ApiProperty({ example: '05:00' })
  @Matches(TIME_OF_DAY, { message: 'to is HH:MM' })
  to!: string;

  @ApiProperty({ example: 'Europe/Zurich' })
  @Validate(TimeZoneConstraint)
  timeZone!: string;
}

export class RolloutRetriesDto {
  @ApiProperty({ minimum: 0, maximum: 10, description: 'Further attempts of a failed target.' })
  @IsInt()
  @Min(0)
  @Max(10)
  max!: number;

  @ApiProperty({ minimum: 1, maximum: 86_400, description: 'Wait before the first retry; doubles with each further one.' })
  @IsInt()
  @Min(1)
  @Max(86_400)
  backoffSeconds!: number;
}

export class CreateRolloutDto {
  @ApiProperty({ example: '1.0' })
  @IsString()
  @MaxLength(64)
  @Matches(VERSION_PATTERN, { message: 'version must be a dotted number such as 1.0' })
  version!: string;

  @ApiProperty({ type: GatewayFilterDto })
  @IsDefined()
  @ValidateNested()
  @Type(() => GatewayFilterDto)
  filter!: GatewayFilterDto;

  @ApiProperty({ type: [RolloutPhaseInputDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(ROLLOUT_PHASES_MAX)
  @ValidateNested({ each: true })
  @Type(() => RolloutPhaseInputDto)
  phases!: RolloutPhaseInputDto[];

  @ApiPropertyOptional({ minimum: 0, maximum: 1, default: 1, description: 'Confirmed share of a phase that completes it.' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  successThreshold?: number;

  @ApiPropertyOptional({ default: true, description: 'false: each next phase waits for an approval.' })
  @IsOptional()
  @IsBoolean()
  autoAdvance?: boolean;

  @ApiPropertyOptional({ type: RolloutAbortDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => RolloutAbortDto)
  abort?: RolloutAbortDto;

  @ApiPropertyOptional({ minimum: 1, maximum: 100_000, description: 'At most this many targets started in any minute.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  maxPerMinute?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 3600, description: 'Each target starts after a random delay up to this, from its phase start.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(3600)
  jitterSeconds?: number;

  @ApiPropertyOptional({ type: RolloutWindowDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => RolloutWindowDto)
  window?: RolloutWindowDto;

  @ApiPropertyOptional({ type: RolloutRetriesDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => RolloutRetriesDto)
  retries?: RolloutRetriesDto;

  @ApiPropertyOptional({ default: false, description: 'Gateways matching the filter later join the last phase.' })
  @IsOptional()
  @IsBoolean()
  continuous?: boolean;
}

export class RolloutTargetCountsDto {
  @ApiProperty() waiting!: number;
  @ApiProperty() starting!: number;
  @ApiProperty() pending!: number;
  @ApiProperty() confirmed!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() skipped!: number;
}

export class RolloutPhaseDto {
  @ApiProperty({ type: Number, nullable: true }) percent!: number | null;
  @ApiProperty({ type: Number, nullable: true }) count!: number | null;
  @ApiProperty({ enum: ROLLOUT_PHASE_STATES }) state!: RolloutPhaseState;
  @ApiProperty({ description: 'Targets in this phase.' }) targets!: number;
  @ApiProperty({ type: RolloutTargetCountsDto }) counts!: RolloutTargetCountsDto;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
}

export class RolloutFailureDto {
  @ApiProperty() gatewayId!: string;
  @ApiProperty() companyId!: string;
  @ApiProperty() reason!: string;
  @ApiProperty() attempts!: number;
}

export class RolloutDto {
  @ApiProperty() id!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ enum: ROLLOUT_STATES }) state!: RolloutState;
  @ApiProperty({ type: String, nullable: true, description: 'Why the rollout is in its state (abort criterion, threshold...).' })
  stateReason!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The company it is limited to; null: every company (super users).' })
  companyId!: string | null;
  @ApiProperty({ type: GatewayFilterDto }) filter!: GatewayFilterDto;
  @ApiProperty() successThreshold!: number;
  @ApiProperty() autoAdvance!: boolean;
  @ApiProperty({ type: RolloutAbortDto, nullable: true }) abort!: RolloutAbortDto | null;
  @ApiProperty({ type: Number, nullable: true }) maxPerMinute!: number | null;
  @ApiProperty() jitterSeconds!: number;
  @ApiProperty({ type: RolloutWindowDto, nullable: true }) window!: RolloutWindowDto | null;
  @ApiProperty({ type: RolloutRetriesDto, nullable: true }) retries!: RolloutRetriesDto | null;
  @ApiProperty() continuous!: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The plain deployment (POST /api/deployments) this one-phase rollout follows; null for a staged rollout.',
  })
  deploymentId!: string | null;
  @ApiProperty({ description: 'Index of the phase in progress (or last reached).' }) currentPhase!: number;
  @ApiProperty() targets!: number;
  @ApiProperty({ type: RolloutTargetCountsDto }) counts!: RolloutTargetCountsDto;
  @ApiProperty({ type: EventActorDto, nullable: true }) createdBy!: EventActorDto | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
  @ApiProperty({ type: [String], enum: ROLLOUT_ACTIONS, description: 'Actions the caller may take now.' }) actions!: RolloutAction[];
}

export class RolloutDetailDto extends RolloutDto {
  @ApiProperty({ type: [RolloutPhaseDto] }) phases!: RolloutPhaseDto[];
  @ApiProperty({ type: [RolloutFailureDto], description: 'Failed targets (at most 200).' }) failures!: RolloutFailureDto[];
  @ApiProperty({ type: Number, nullable: true, description: 'Estimated seconds left at the current pace, when known.' })
  secondsLeft!: number | null;
}

export class RolloutListDto {
  @ApiProperty({ type: [RolloutDto] }) items!: RolloutDto[];
  @ApiProperty() total!: number;
  @ApiProperty() offset!: number;
  @ApiProperty() limit!: number;
}

export class ListRolloutsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ROLLOUT_STATES })
  @IsOptional()
  @IsIn(ROLLOUT_STATES)
  state?: RolloutState;
}

export class RolloutTargetDto {
  @ApiProperty() gatewayId!: string;
  @ApiProperty() companyId!: string;
  @ApiProperty({ description: '0-based phase index.' }) phase!: number;
  @ApiProperty({ enum: ROLLOUT_TARGET_STATES }) state!: RolloutTargetState;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true }) reason!: string | null;
  @ApiProperty({ type: String, nullable: true }) deploymentId!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) decidedAt!: string | null;
}

export class RolloutTargetListDto {
  @ApiProperty({ type: [RolloutTargetDto] }) items!: RolloutTargetDto[];
  @ApiProperty() total!: number;
  @ApiProperty() offset!: number;
  @ApiProperty() limit!: number;
}

/** Targets in start order. */
export class ListRolloutTargetsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: '0-based phase index.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(ROLLOUT_PHASES_MAX)
  phase?: number;

  @ApiPropertyOptional({ enum: ROLLOUT_TARGET_STATES })
  @IsOptional()
  @IsIn(ROLLOUT_TARGET_STATES)
  state?: RolloutTargetState;
}
