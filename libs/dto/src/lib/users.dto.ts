import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { ROLES, type Role } from './roles';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;
// One pattern for the codec (gateways' Status) and the API.
import { COMPANY_ID_PATTERN } from '@upgrade-manager/frame-codec';
export { COMPANY_ID_PATTERN };

const normalizeEmail = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** A user account as the API returns it (never with its password hash). */
export class UserDto {
  @ApiProperty({ example: '665f1c2e9d3b4a0012345678' }) id!: string;
  @ApiProperty({ example: 'admin@example.com' }) email!: string;
  @ApiProperty({ example: 'Ada Admin' }) name!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ example: '2' }) companyId!: string;
  @ApiProperty({ description: 'Disabled users cannot log in.' }) enabled!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class UserListDto {
  @ApiProperty({ type: [UserDto] }) items!: UserDto[];
  @ApiProperty() total!: number;
}

export class CreateUserDto {
  @ApiProperty({ example: 'operator@example.com' })
  @Transform(normalizeEmail)
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'Olga Operator' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH })
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(PASSWORD_MAX_LENGTH)
  password!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({ description: 'Defaults to the creator\'s company ("1" for a super user).', example: '2' })
  @IsOptional()
  @Matches(COMPANY_ID_PATTERN)
  companyId?: string;
}

/** Every field is optional; a super user may change role and company, an admin only within its company. */
export class UpdateUserDto {
  @ApiPropertyOptional()
  @IsOptional()
  @Transform(normalizeEmail)
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ minLength: PASSWORD_MIN_LENGTH, description: 'Sets a new password (no current password needed).' })
  @IsOptional()
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(PASSWORD_MAX_LENGTH)
  password?: string;

  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({ example: '2' })
  @IsOptional()
  @Matches(COMPANY_ID_PATTERN)
  companyId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class ListUsersQueryDto {
  @ApiPropertyOptional({ description: 'Super users only: one company.' })
  @IsOptional()
  @Matches(COMPANY_ID_PATTERN)
  companyId?: string;
}
