import type { Role } from '@upgrade-manager/dto';
import { SUPER_COMPANY_ID } from '@upgrade-manager/dto';

/** Who makes a request: set on `request.user` by the auth guard. */
export interface Principal {
  userId: string;
  email: string;
  role: Role;
  companyId: string;
  // The login token the request came with (absent in development mode); logout revokes it.
  token?: { id: string; expiresAt: Date; issuedAtMs: number };
}

/** The principal of development mode (AUTH_MODE=none), where every request acts as a super user. */
export const DEVELOPMENT_PRINCIPAL: Principal = {
  userId: 'development',
  email: 'development@localhost',
  role: 'super',
  companyId: SUPER_COMPANY_ID,
};

/** Tenant filter for queries: null means every company (super users only). */
export type TenantScope = { companyId: string | null };

export function tenantScopeOf(principal: Principal): TenantScope {
  return { companyId: principal.role === 'super' ? null : principal.companyId };
}
