import type { INestApplication } from '@nestjs/common';
import type { LoginResponseDto, Role } from '@upgrade-manager/dto';
import { randomBytes } from 'node:crypto';
import { CompaniesService } from '../src/companies/companies.service';
import { UsersService } from '../src/users/users.service';

export interface TestAccount {
  id: string;
  email: string;
  password: string;
  role: Role;
  companyId: string;
}

export interface TestAccounts {
  super: TestAccount;
  admin2: TestAccount;
  user2: TestAccount;
  admin3: TestAccount;
  user3: TestAccount;
}

/** Companies "1", "2", "3" with a super user, and an admin and a user in "2" and "3", created through the services. */
export async function seedAccounts(app: INestApplication): Promise<TestAccounts> {
  const companies = app.get(CompaniesService);
  const users = app.get(UsersService);
  for (const companyId of ['1', '2', '3']) {
    if (!(await companies.exists(companyId))) await companies.insert({ companyId, name: `Company ${companyId}` });
  }
  const tag = randomBytes(3).toString('hex');
  const create = async (role: Role, companyId: string, label: string): Promise<TestAccount> => {
    const account = { email: `${label}-${tag}@company${companyId}.test`, password: `pw-${label}-${randomBytes(6).toString('hex')}`, role, companyId };
    const user = await users.insert({ ...account, name: label }, null);
    return { ...account, id: user.id as string };
  };
  return {
    super: await create('super', '1', 'super'),
    admin2: await create('admin', '2', 'admin2'),
    user2: await create('user', '2', 'user2'),
    admin3: await create('admin', '3', 'admin3'),
    user3: await create('user', '3', 'user3'),
  };
}

export async function login(baseUrl: string, email: string, password: string): Promise<Response> {
  return fetch(`${baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
}

/** Logs in and returns the access token; fails the test on anything but 200. */
export async function tokenOf(baseUrl: string, account: Pick<TestAccount, 'email' | 'password'>): Promise<string> {
  const response = await login(baseUrl, account.email, account.password);
  if (response.status !== 200) throw new Error(`login of ${account.email} answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as LoginResponseDto).accessToken;
}

/** A JSON request with an optional Bearer token; returns the status and the parsed body. */
export async function call(baseUrl: string, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (e.g. an SSE stream or HTML): keep the text.
  }
  return { status: response.status, body: parsed };
}
