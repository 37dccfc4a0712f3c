import { Body, Controller, Delete, Get, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CompanyDto, CompanyListDto, CreateCompanyDto, UpdateCompanyDto } from '@upgrade-manager/dto';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { CompaniesService } from './companies.service';

@ApiTags('companies')
@ApiBearerAuth()
@Controller('companies')
export class CompaniesController {
  constructor(private readonly companies: CompaniesService) {}

  @Post()
  @ApiOperation({ summary: 'Create a company (super users only)' })
  @ApiCreatedResponse({ type: CompanyDto })
  @ApiForbiddenResponse()
  @ApiConflictResponse({ description: 'The companyId exists.' })
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateCompanyDto): Promise<CompanyDto> {
    return this.companies.create(principal, dto);
  }

  @Get()
  @ApiOperation({ summary: 'Every company for a super user; the own company otherwise' })
  @ApiOkResponse({ type: CompanyListDto })
  list(@CurrentPrincipal() principal: Principal): Promise<CompanyListDto> {
    return this.companies.list(principal);
  }

  @Get(':companyId')
  @ApiOkResponse({ type: CompanyDto })
  @ApiNotFoundResponse()
  get(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string): Promise<CompanyDto> {
    return this.companies.get(principal, companyId);
  }

  @Patch(':companyId')
  @ApiOperation({ summary: 'Rename, disable or enable a company (super users only)' })
  @ApiOkResponse({ type: CompanyDto })
  @ApiForbiddenResponse()
  @ApiNotFoundResponse()
  update(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Body() dto: UpdateCompanyDto): Promise<CompanyDto> {
    return this.companies.update(principal, companyId, dto);
  }

  @Delete(':companyId')
  @ApiOperation({ summary: 'Disable a company (soft: its users cannot log in; super users still manage its gateways)' })
  @ApiOkResponse({ type: CompanyDto })
  @ApiForbiddenResponse()
  @ApiNotFoundResponse()
  disable(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string): Promise<CompanyDto> {
    return this.companies.disable(principal, companyId);
  }
}
