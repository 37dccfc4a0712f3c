import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { type Role, SUPER_COMPANY_ID } from '@upgrade-manager/dto';
import type { Connection } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { CompaniesService } from '../companies/companies.service';
import { AppConfigService } from '../config/app-config.service';
import { DatabaseIndexes } from '../database/database-indexes.service';
import { UsersService } from '../users/users.service';

export interface Credentials {
  companyId: string;
  role: Role;
  email: string;
  // null when the account existed already and its password was left alone.
  password: string | null;
  generated: boolean;
}

export const SUPER_COMPANY_NAME = 'Super';
export const SAMPLE_COMPANIES = [
  { companyId: '2', name: 'Sample Company 2' },
  { companyId: '3', name: 'Sample Company 3' },
] as const;

export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}

/** Database initialisation and sample data for the CLI (no rights checks: the operator runs it). */
@Injectable()
export class BootstrapDataService {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly users: UsersService,
    private readonly companies: CompaniesService,
    private readonly config: AppConfigService,
    private readonly indexes: DatabaseIndexes,
  ) {}

  async hasUsers(): Promise<boolean> {
    return (await this.users.countUsers()) > 0;
  }

  /** Drops every collection, then recreates the indexes of the models this process knows. */
  async wipe(): Promise<void> {
    await this.connection.dropDatabase();
    await this.indexes.build();
  }

  /** The super company "1" and the super user of ADMIN_EMAIL / ADMIN_PASSWORD (or a generated password). */
  async createSuperUser(): Promise<Credentials> {
    if (!(await this.companies.exists(SUPER_COMPANY_ID))) await this.companies.insert({ companyId: SUPER_COMPANY_ID, name: SUPER_COMPANY_NAME });
    const configured = this.config.get('ADMIN_PASSWORD');
    const password = configured || generatePassword();
    const email = this.config.get('ADMIN_EMAIL');
    await this.users.insert({ email, name: 'Super user', password, role: 'super', companyId: SUPER_COMPANY_ID }, null);
    return { companyId: SUPER_COMPANY_ID, role: 'super', email, password: configured ? null : password, generated: !configured };
  }

  /** Companies "2" and "3", each with an admin and a user; existing accounts are left as they are. */
  async addSampleCompanies(): Promise<Credentials[]> {
    const credentials: Credentials[] = [];
    for (const company of SAMPLE_COMPANIES) {
      if (!(await this.companies.exists(company.companyId))) await this.companies.insert(company);
      for (const role of ['admin', 'user'] as const) {
        const email = `${role}@company${company.companyId}.example.com`;
        if (await this.users.findForLogin(email)) {
          credentials.push({ companyId: company.companyId, role, email, password: null, generated: false });
          continue;
        }
        const password = generatePassword();
        const name = `${role === 'admin' ? 'Admin' : 'User'} of company ${company.companyId}`;
        await this.users.insert({ email, name, password, role, companyId: company.companyId }, null);
        credentials.push({ companyId: company.companyId, role, email, password, generated: true });
      }
    }
    return credentials;
  }
}
