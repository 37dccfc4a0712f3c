import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsBoolean, IsDefined, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { DistinctItems } from './distinct-items';
import { IsTagList, TagListDto } from './gateways.dto';
import { COMPANY_ID_PATTERN } from './users.dto';

export const GATEWAY_FILTER_LIST_MAX = 20;
export const ID_PATTERN_MAX_LENGTH = 64;
export const ID_PATTERN_MAX_WILDCARDS = 4;
// Letters, digits, the separators of gateway ids and the two glob wildcards; at most four `*`.
export const ID_PATTERN = new RegExp(`^(?!(?:[^*]*\\*){${ID_PATTERN_MAX_WILDCARDS + 1}})[A-Za-z0-9._:*?-]+$`);

/**
 * A glob over gateway ids and names (`*` any run, `?` one character), as an anchored regular
 * expression source. Only the two wildcards are special, so a user never runs a regex of their own.
 */
export function globToRegexSource(glob: string): string {
  const body = [...glob].map((character) => (character === '*' ? '.*' : character === '?' ? '.' : character.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'))).join('');
  return `^${body}$`;
}

/** Which gateways a rollout or a bulk tagging reaches; every given criterion must hold. */
export class GatewayFilterDto {
  @ApiPropertyOptional({ description: "One company; admins' filters are always within their own." })
  @IsOptional()
  @IsString()
  @Matches(COMPANY_ID_PATTERN)
  companyId?: string;

  @ApiPropertyOptional({ type: [String], description: 'Gateways carrying every one of these tags.' })
  @IsOptional()
  @ArrayNotEmpty()
  @IsTagList(GATEWAY_FILTER_LIST_MAX)
  tags?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Gateways currently at one of these versions.' })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(GATEWAY_FILTER_LIST_MAX)
  @DistinctItems()
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  versions?: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  online?: boolean;

  @ApiPropertyOptional({
    maxLength: ID_PATTERN_MAX_LENGTH,
    description: 'Glob over the gateway id or name: `*` any run, `?` one character (at most four `*`).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(ID_PATTERN_MAX_LENGTH)
  @Matches(ID_PATTERN, { message: `idPattern is letters, digits, . _ : - and the wildcards * ? (at most ${ID_PATTERN_MAX_WILDCARDS} *)` })
  idPattern?: string;
}

export class GatewayFilterRequestDto {
  @ApiProperty({ type: GatewayFilterDto })
  // ValidateNested lets a missing object through (found by the API fuzzing: a 500 without a body).
  @IsDefined()
  @ValidateNested()
  @Type(() => GatewayFilterDto)
  filter!: GatewayFilterDto;
}

export class CompanyCountDto {
  @ApiProperty() companyId!: string;
  @ApiProperty() count!: number;
}

/** How many enabled gateways a filter matches now, per company. */
export class GatewayMatchCountDto {
  @ApiProperty() total!: number;
  @ApiProperty({ type: [CompanyCountDto] }) companies!: CompanyCountDto[];
}

/** Adds and removes tags on every gateway that a filter matches. */
export class BulkTagGatewaysDto extends TagListDto {
  @ApiProperty({ type: GatewayFilterDto })
  @IsDefined()
  @ValidateNested()
  @Type(() => GatewayFilterDto)
  filter!: GatewayFilterDto;
}

export class BulkTagResultDto {
  @ApiProperty({ description: 'Gateways the filter matched.' }) matched!: number;
  @ApiProperty({ description: 'Gateways whose tags changed.' }) changed!: number;
  @ApiProperty({ description: 'Gateways left unchanged because they would exceed the tag limit.' }) skipped!: number;
}
