import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { DistinctItems } from './distinct-items';
import { EventDto } from './events.dto';
import { OFFSET_MAX, PAGE_MAX } from './paging-limits';
import { COMPANY_ID_PATTERN } from './users.dto';

export const UPGRADE_STATUSES = ['pending', 'confirmed', 'failed'] as const;
export type UpgradeStatus = (typeof UPGRADE_STATUSES)[number];

/** `none`: gateways without any deployment. */
export const UPGRADE_STATUS_FILTERS = [...UPGRADE_STATUSES, 'none'] as const;
export type UpgradeStatusFilter = (typeof UPGRADE_STATUS_FILTERS)[number];

/** `pending`: registered under the approval policy and served nothing until accepted. */
export const GATEWAY_ADMISSIONS = ['accepted', 'pending'] as const;
export type GatewayAdmission = (typeof GATEWAY_ADMISSIONS)[number];

export const GATEWAY_SORT_FIELDS = ['lastSeenAt', 'gatewayId', 'version', 'companyId'] as const;
export type GatewaySortField = (typeof GATEWAY_SORT_FIELDS)[number];

export const SORT_ORDERS = ['asc', 'desc'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

/** Operator labels of a gateway: lower-case letters, digits and `._:-`, starting with a letter or digit. */
export const GATEWAY_TAG_PATTERN = /^[a-z0-9][a-z0-9._:-]*$/;
export const GATEWAY_TAG_MAX_LENGTH = 32;
export const GATEWAY_TAGS_MAX = 20;
const TAG_MESSAGE = 'tags are lower-case letters, digits and . _ : - (starting with a letter or digit)';

/** A list of distinct, well-formed tags, at most `maxItems` of them. */
export function IsTagList(maxItems: number): PropertyDecorator {
  const rules = [
    IsArray(),
    ArrayMaxSize(maxItems),
    DistinctItems(),
    IsString({ each: true }),
    MaxLength(GATEWAY_TAG_MAX_LENGTH, { each: true }),
    Matches(GATEWAY_TAG_PATTERN, { each: true, message: TAG_MESSAGE }),
  ];
  return (target, propertyKey) => rules.forEach((rule) => rule(target, propertyKey));
}

export const PAGE_SIZE_DEFAULT = 50;
export const PAGE_SIZE_MAX = 1000;

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/** Paging as `page`/`pageSize` (1-based) or `offset`/`limit`; offset/limit win when both are given. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: PAGE_MAX, description: '1-based page; with pageSize.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(PAGE_MAX)
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: PAGE_SIZE_MAX, default: PAGE_SIZE_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(PAGE_SIZE_MAX)
  pageSize?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: OFFSET_MAX })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(OFFSET_MAX)
  offset?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: PAGE_SIZE_MAX, default: PAGE_SIZE_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(PAGE_SIZE_MAX)
  limit?: number;
}

/** The window of a list that a PageQueryDto asks for. */
export function pageWindow(query: PageQueryDto): { offset: number; limit: number } {
  const limit = query.limit ?? query.pageSize ?? PAGE_SIZE_DEFAULT;
  const offset = query.offset ?? ((query.page ?? 1) - 1) * limit;
  return { offset, limit };
}

export class GatewayUpgradeDto {
  @ApiProperty() version!: string;
  @ApiProperty({ enum: UPGRADE_STATUSES }) status!: UpgradeStatus;
  @ApiProperty() deploymentId!: string;
}

export class GatewayDto {
  @ApiProperty() gatewayId!: string;
  @ApiProperty() companyId!: string;
  @ApiProperty({ type: String, nullable: true }) name!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Version of the last Status.' }) version!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Last upgrade as the gateway reports it.' })
  lastUpgradeAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastSeenAt!: string | null;
  @ApiProperty({ description: 'Heard from within ONLINE_WINDOW_S.' }) online!: boolean;
  @ApiProperty({ type: GatewayUpgradeDto, nullable: true, description: 'Latest deployment to this gateway.' })
  upgrade!: GatewayUpgradeDto | null;
  @ApiPropertyOptional({ enum: [2], description: 'Present when the gateway announced protocol v2 in its latest Status (docs/protocol-v2.md).' })
  protocol?: 2;
  @ApiProperty({ type: String, nullable: true }) address!: string | null;
  @ApiProperty({ type: Number, nullable: true }) latitude!: number | null;
  @ApiProperty({ type: Number, nullable: true }) longitude!: number | null;
  @ApiProperty({ description: 'Disabled gateways are still tracked but never targeted by deployments.' }) enabled!: boolean;
  @ApiProperty({ type: [String], description: 'Operator labels, sorted.' }) tags!: string[];
  @ApiProperty({ enum: GATEWAY_ADMISSIONS, description: 'Waiting gateways (pending) are served nothing until accepted.' }) admission!: GatewayAdmission;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) createdAt!: string | null;
}

export class GatewayListDto {
  @ApiProperty({
    type: [GatewayDto],
    description:
      'One page. The first 200 items of a list of 1,000 or more whose read took 50 ms or more (FerretDB sorts the whole ' +
      'collection for any page) come from a snapshot usually under 5 s old (never over 30 s); the total is that of the snapshot.',
  })
  items!: GatewayDto[];
  @ApiProperty({
    description:
      'Gateways matching the filters (all pages). Exact where counting is cheap; a total of 1,000 or more whose count took ' +
      '50 ms or more (FerretDB counts by scanning) may be up to 5 s old, so it can lag the items by gateways registered meanwhile.',
  })
  total!: number;
  @ApiProperty() offset!: number;
  @ApiProperty() limit!: number;
}

export class ListGatewaysQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Super users only; others always see their own company.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  companyId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(64)
  version?: string;

  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  online?: boolean;

  @ApiPropertyOptional({ enum: UPGRADE_STATUS_FILTERS })
  @IsOptional()
  @IsIn(UPGRADE_STATUS_FILTERS)
  upgradeStatus?: UpgradeStatusFilter;

  @ApiPropertyOptional({ description: 'Gateways carrying this tag.' })
  @IsOptional()
  @IsString()
  @MaxLength(GATEWAY_TAG_MAX_LENGTH)
  @Matches(GATEWAY_TAG_PATTERN, { message: TAG_MESSAGE })
  tag?: string;
  @ApiPropertyOptional({ enum: GATEWAY_ADMISSIONS })
  @IsOptional()
  @IsIn(GATEWAY_ADMISSIONS)
  admission?: GatewayAdmission;

  @ApiPropertyOptional({ description: 'Part of the gateway id or name, case-insensitive.' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(256)
  search?: string;

  @ApiPropertyOptional({ enum: GATEWAY_SORT_FIELDS, default: 'gatewayId' })
  @IsOptional()
  @IsIn(GATEWAY_SORT_FIELDS)
  sort?: GatewaySortField;

  @ApiPropertyOptional({ enum: SORT_ORDERS, default: 'asc' })
  @IsOptional()
  @IsIn(SORT_ORDERS)
  order?: SortOrder;
}

/** Fields an operator edits; null clears a field. */
export class UpdateGatewayDto {
  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @Transform(trim)
  @ValidateIf((_object, value) => value !== null)
  @IsString()
  @MaxLength(100)
  name?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @Transform(trim)
  @ValidateIf((_object, value) => value !== null)
  @IsString()
  @MaxLength(300)
  address?: string | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: -90, maximum: 90 })
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-90)
  @Max(90)
  latitude?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: -180, maximum: 180 })
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-180)
  @Max(180)
  longitude?: number | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: [String], maxItems: GATEWAY_TAGS_MAX, description: 'Replaces the tags; [] clears them.' })
  @IsOptional()
  @IsTagList(GATEWAY_TAGS_MAX)
  tags?: string[];

  @ApiPropertyOptional({ description: 'Moves the gateway to another existing company (super users only).', pattern: COMPANY_ID_PATTERN.source })
  @IsOptional()
  @Matches(COMPANY_ID_PATTERN)
  companyId?: string;
}

/** A list of tags, as a bulk tagging request adds or removes them. */
export class TagListDto {
  @ApiPropertyOptional({ type: [String], maxItems: GATEWAY_TAGS_MAX })
  @IsOptional()
  @IsTagList(GATEWAY_TAGS_MAX)
  add?: string[];

  @ApiPropertyOptional({ type: [String], maxItems: GATEWAY_TAGS_MAX })
  @IsOptional()
  @IsTagList(GATEWAY_TAGS_MAX)
  remove?: string[];
}

export class VersionCountDto {
  @ApiProperty({ type: String, nullable: true }) version!: string | null;
  @ApiProperty() count!: number;
}

/** The dashboard's numbers, for the caller's companies. */
export class GatewaySummaryDto {
  @ApiProperty() total!: number;
  @ApiProperty() online!: number;
  @ApiProperty() offline!: number;
  @ApiProperty({ type: [VersionCountDto], description: 'Gateways per reported version, newest first.' }) versions!: VersionCountDto[];
  @ApiProperty() pendingUpgrades!: number;
}

export class GatewayTargetHistoryDto {
  @ApiProperty() deploymentId!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ enum: UPGRADE_STATUSES }) status!: UpgradeStatus;
  @ApiProperty({ type: String, nullable: true }) reason!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class GatewayHistoryDto {
  @ApiProperty({ type: [EventDto], description: 'Newest first.' }) events!: EventDto[];
  @ApiProperty({ type: [GatewayTargetHistoryDto], description: 'Deployments to this gateway, newest first.' })
  deployments!: GatewayTargetHistoryDto[];
}

export class GatewayHistoryQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}
