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

function globCharacterSource(character: string): string {
  return character === '?' ? '.' : character.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

/**
 * A glob over gateway ids and names (`*` any run, `?` one character), as an anchored regular
 * expression source. Only the two wildcards are special, so a user never runs a regex of their own.
 * Each `*` becomes `.*`: in a backtracking engine (MongoDB's PCRE2, V8) k of them cost up to
 * n^k steps on an id of n characters; RE2-like engines (FerretDB 1.x, Go) run it in linear time.
 */
export function globToRegexSource(glob: string): string {
  return `^${[...glob].map((character) => (character === '*' ? '.*' : globCharacterSource(character))).join('')}$`;
}

/**
 * The same glob as an expression a backtracking engine matches in time linear in the id's length
 * (for a pattern of bounded length), for MongoDB. Between the first and the last `*` each segment
 * (literals and `?`, all of one length) is found at its earliest place after the previous one,
 * `(?=(.*?SEG))\N`: a lookahead is atomic, so that place is never revisited, and the earliest is
 * always right for a glob (a later one only leaves the rest less room). The last segment is anchored
 * at the end behind one `.*`. `*a*a*a*b` against a...abc (PCRE2 without JIT, `grep -P`): 3,912 /
 * 52,428 / 766,612 backtracking steps for globToRegexSource at 18 / 34 / 66 characters, past PCRE2's
 * limit of 10^7 at 130 and 256 (V8: 1.5 s at 256); 26 / 42 / 74 / 138 / 264 steps for this.
 * Lookahead and backreferences are PCRE/JavaScript syntax: RE2-like engines (FerretDB 1.x) refuse
 * them and keep globToRegexSource.
 */
export function globToLinearRegexSource(glob: string): string {
  const segments = glob.split(/\*+/).map((segment) => [...segment].map(globCharacterSource).join(''));
  if (segments.length === 1) return `^${segments[0]}$`;
  const middle = segments.slice(1, -1).map((segment, index) => `(?=(.*?${segment}))\\${index + 1}`);
  return `^${segments[0]}${middle.join('')}.*${segments[segments.length - 1]}$`;
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
