import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { Company, defaultCompanyName } from './company.schema';

@Injectable()
export class CompaniesService {
  constructor(@InjectModel(Company.name) private readonly companies: Model<Company>) {}

  /** Creates the companies that do not exist yet, with a default name (first Status of a gateway). */
  async ensureExist(companyIds: Iterable<string>): Promise<void> {
    const unique = [...new Set(companyIds)];
    if (unique.length === 0) return;
    await this.companies.bulkWrite(
      unique.map((companyId) => ({
        updateOne: {
          filter: { companyId },
          update: { $setOnInsert: { companyId, name: defaultCompanyName(companyId) } },
          upsert: true,
        },
      })),
      { ordered: false },
    );
  }
}
