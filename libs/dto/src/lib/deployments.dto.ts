import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  Equals,
  IsArray,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { DistinctItems } from './distinct-items';
import { EventActorDto } from './events.dto';
import { PageQueryDto, UPGRADE_STATUSES, type UpgradeStatus } from './gateways.dto';

const DEPLOYMENT_VERSION_PATTERN = /^\d+(\.\d+)*$/;
export const DEPLOYMENT_MAX_GATEWAYS = 10_000;

export const DEPLOYMENT_SCOPES = ['gateways', 'company', 'all'] as const;
export type DeploymentScope = (typeof DEPLOYMENT_SCOPES)[number];

const TARGET_FIELDS = ['gatewayIds', 'companyId', 'all'] as const;

@ValidatorConstraint({ name: 'exactlyOneTarget' })
class ExactlyOneTargetConstraint implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    const body = args.object as Record<string, unknown>;
    return TARGET_FIELDS.filter((field) => body[field] !== undefined).length === 1;
  }

  defaultMessage(): string {
    return 'give exactly one target: gatewayIds, companyId or all: true';
  }
}

/** One of three target forms: a list of gateways, every gateway of a company, or every gateway (super users). */
export class CreateDeploymentDto {
  @ApiProperty({ example: '1.0' })
  @IsString()
  @MaxLength(64)
  @Matches(DEPLOYMENT_VERSION_PATTERN, { message: 'version must be a dotted number such as 1.0' })
  @Validate(ExactlyOneTargetConstraint)
  version!: string;

  @ApiPropertyOptional({ type: [String], maxItems: DEPLOYMENT_MAX_GATEWAYS })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(DEPLOYMENT_MAX_GATEWAYS)
  @DistinctItems()
  @IsString({ each: true })
  @MaxLength(256, { each: true })
  gatewayIds?: string[];

  @ApiPropertyOptional({ description: 'Every enabled gateway of this company.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  companyId?: string;

  @ApiPropertyOptional({ enum: [true], description: 'Super users only: every enabled gateway, over the broadcast topic.' })
  @IsOptional()
  @Equals(true)
  all?: true;
}

export const DELIVERY_STATES = ['offered', 'downloading', 'downloaded', 'verified', 'installing', 'succeeded', 'failed', 'rejected'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** How a protocol-v2 target's download and installation go (docs/protocol-v2.md), from its progress reports. */
export class TargetDeliveryDto {
  @ApiProperty({ enum: [2] }) protocol!: 2;
  @ApiProperty({ enum: DELIVERY_STATES, description: 'offered until the gateway reports; then its latest state.' }) state!: DeliveryState;
  @ApiProperty({ description: 'Bytes of the image the gateway holds.' }) bytes!: number;
  @ApiProperty({ description: 'Image size in bytes.' }) size!: number;
  @ApiProperty({ type: String, nullable: true, description: 'The reason a gateway gave for failed or rejected (at most 1 KiB).' }) reason!: string | null;
}

export class DeploymentTargetDto {
  @ApiProperty() gatewayId!: string;
  @ApiProperty() companyId!: string;
  @ApiProperty({ enum: UPGRADE_STATUSES }) status!: UpgradeStatus;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why a target failed: reported-version, timeout, superseded, publish-failed, install-failed or rejected (protocol v2).',
  })
  reason!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Version a failed target reported instead.' })
  reportedVersion!: string | null;
  @ApiProperty({ format: 'date-time' }) deadline!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiPropertyOptional({ type: TargetDeliveryDto, description: 'Protocol-v2 targets only: download and installation progress.' })
  delivery?: TargetDeliveryDto;
}

export class DeploymentCountsDto {
  @ApiProperty() total!: number;
  @ApiProperty() pending!: number;
  @ApiProperty() confirmed!: number;
  @ApiProperty() failed!: number;
}

export class DeploymentCreatedDto {
  @ApiProperty() id!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ type: [DeploymentTargetDto] }) targets!: DeploymentTargetDto[];
}

/** The answer of `POST /api/deployments`: a plain deployment is a rollout of one phase (SPEC §5). */
export class DeploymentRolloutCreatedDto extends DeploymentCreatedDto {
  @ApiProperty({ description: 'The one-phase rollout that follows this deployment (GET /api/rollouts/{id}).' }) rolloutId!: string;
}

export class DeploymentDto {
  @ApiProperty() id!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ enum: DEPLOYMENT_SCOPES }) scope!: DeploymentScope;
  @ApiProperty({ type: [String], description: 'Companies of the targets.' }) companyIds!: string[];
  @ApiProperty({ type: EventActorDto, nullable: true }) createdBy!: EventActorDto | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: DeploymentCountsDto, description: 'Counts over the targets the caller may see.' }) counts!: DeploymentCountsDto;
}

export class DeploymentDetailDto extends DeploymentDto {
  @ApiProperty({ type: [DeploymentTargetDto] }) targets!: DeploymentTargetDto[];
}

export class DeploymentListDto {
  @ApiProperty({ type: [DeploymentDto] }) items!: DeploymentDto[];
  @ApiProperty() total!: number;
  @ApiProperty() offset!: number;
  @ApiProperty() limit!: number;
}

/** Newest first. */
export class ListDeploymentsQueryDto extends PageQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(64)
  version?: string;

  @ApiPropertyOptional({ description: 'Super users only; others always see their own company.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  companyId?: string;
}
