import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { type CompanyDto, type CompanyListDto, type CreateCompanyDto, SUPER_COMPANY_ID, type UpdateCompanyDto } from '@upgrade-manager/dto';
import type { Model } from 'mongoose';
import type { Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { assertCanManageCompanies, companyVisibilityFilter } from './companies.policy';
import { Company, defaultCompanyName } from './company.schema';
import { chunkedBulkWrite } from '../database/chunked-bulk-write';
import { isDuplicateKeyError } from '../database/duplicate-key';

export function toCompanyDto(company: Company): CompanyDto {
  return {
    companyId: company.companyId,
    name: company.name,
    // Companies created by a gateway's first Status may predate the field.
    enabled: company.enabled !== false,
    createdAt: company.createdAt?.toISOString() ?? null,
    updatedAt: company.updatedAt?.toISOString() ?? null,
  };
}

function notFound(): DomainError {
  return new DomainError(DomainErrorCode.NOT_FOUND, 'Company not found');
}

@Injectable()
export class CompaniesService {
  constructor(@InjectModel(Company.name) private readonly companies: Model<Company>) {}

  /** Creates the companies that do not exist yet, with a default name (first Status of a gateway). */
  async ensureExist(companyIds: Iterable<string>): Promise<void> {
    const unique = [...new Set(companyIds)];
    if (unique.length === 0) return;
    await chunkedBulkWrite(
      this.companies,
      unique.map((companyId) => ({
        updateOne: {
          filter: { companyId },
          update: { $setOnInsert: { companyId, name: defaultCompanyName(companyId), enabled: true } },
          upsert: true,
        },
      })),
    );
  }

  async list(principal: Principal): Promise<CompanyListDto> {
    const companies = await this.companies.find(companyVisibilityFilter(principal)).lean();
    // Numeric ids ("2" before "10") sort as people expect.
    companies.sort((a, b) => a.companyId.localeCompare(b.companyId, 'en', { numeric: true }));
    return { items: companies.map(toCompanyDto), total: companies.length };
  }

  async get(principal: Principal, companyId: string): Promise<CompanyDto> {
    const company = await this.companies.findOne({ $and: [companyVisibilityFilter(principal), { companyId }] }).lean();
    if (!company) throw notFound();
    return toCompanyDto(company);
  }

  async create(principal: Principal, dto: CreateCompanyDto): Promise<CompanyDto> {
    assertCanManageCompanies(principal);
    return toCompanyDto(await this.insert(dto));
  }

  /** Creates a company without checking rights (bootstrap, samples). */
  async insert(dto: CreateCompanyDto): Promise<Company> {
    try {
      const created = await this.companies.create({ companyId: dto.companyId, name: dto.name, enabled: true });
      return created.toObject();
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        throw new DomainError(DomainErrorCode.CONFLICT, `Company "${dto.companyId}" already exists`, { companyId: dto.companyId });
      }
      throw error;
    }
  }

  async update(principal: Principal, companyId: string, dto: UpdateCompanyDto): Promise<CompanyDto> {
    assertCanManageCompanies(principal);
    if (dto.enabled === false && companyId === SUPER_COMPANY_ID) {
      throw new DomainError(DomainErrorCode.CONFLICT, 'The super company cannot be disabled');
    }
    const company = await this.companies.findOneAndUpdate({ companyId }, { $set: dto }, { new: true }).lean();
    if (!company) throw notFound();
    return toCompanyDto(company);
  }

  disable(principal: Principal, companyId: string): Promise<CompanyDto> {
    return this.update(principal, companyId, { enabled: false });
  }

  async exists(companyId: string): Promise<boolean> {
    return (await this.companies.exists({ companyId })) !== null;
  }

  async isEnabled(companyId: string): Promise<boolean> {
    return (await this.companies.exists({ companyId, enabled: false })) === null;
  }

  /** Which of these companies are disabled, in one read. */
  async disabledOf(companyIds: readonly string[]): Promise<Set<string>> {
    if (companyIds.length === 0) return new Set();
    const disabled = await this.companies.find({ companyId: { $in: companyIds }, enabled: false }, { _id: 0, companyId: 1 }).lean<{ companyId: string }[]>();
    return new Set(disabled.map(({ companyId }) => companyId));
  }
}
