import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { COMPANY_ID_PATTERN } from './users.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CompanyDto {
  @ApiProperty({ example: '2', description: 'The id gateways report in their Status.' }) companyId!: string;
  @ApiProperty({ example: 'Acme' }) name!: string;
  @ApiProperty({ description: 'Users of a disabled company cannot log in.' }) enabled!: boolean;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) createdAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) updatedAt!: string | null;
}

export class CompanyListDto {
  @ApiProperty({ type: [CompanyDto] }) items!: CompanyDto[];
  @ApiProperty() total!: number;
}

export class CreateCompanyDto {
  @ApiProperty({ example: '4', pattern: COMPANY_ID_PATTERN.source })
  @Matches(COMPANY_ID_PATTERN)
  companyId!: string;

  @ApiProperty({ example: 'Acme' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;
}

export class UpdateCompanyDto {
  @ApiPropertyOptional({ example: 'Acme Ltd' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ description: 'false disables the company: its users cannot log in.' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}
