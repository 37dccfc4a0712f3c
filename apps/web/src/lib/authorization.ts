import type { Role } from '@upgrade-manager/dto';
import { SUPER_COMPANY_ID } from '@upgrade-manager/dto';

export type Page = 'dashboard' | 'upgrade' | 'rollouts' | 'versions' | 'gateway' | 'users' | 'companies' | 'profile' | 'events';

// Mirrors the API's rules (SPEC §2 Roles) so nobody is shown what the API would refuse.
const PAGE_ROLES: Record<Page, readonly Role[]> = {
  dashboard: ['super', 'admin', 'user'],
  upgrade: ['super', 'admin'],
  rollouts: ['super', 'admin'],
  versions: ['super', 'admin', 'user'],
  gateway: ['super', 'admin', 'user'],
  users: ['super', 'admin'],
  companies: ['super'],
  profile: ['super', 'admin', 'user'],
  events: ['super', 'admin', 'user'],
};

export function canSeePage(role: Role, page: Page): boolean {
  return PAGE_ROLES[page].includes(role);
}

export const policies = {
  // Versions reach every tenant, so only super users add or remove them.
  manageVersions: (role: Role) => role === 'super',
  editGateway: (role: Role) => role === 'super' || role === 'admin',
  deploy: (role: Role) => role === 'super' || role === 'admin',
  deployToAll: (role: Role) => role === 'super',
  seeAllCompanies: (role: Role) => role === 'super',
  /** Roles a user may give to others: an admin never creates or promotes a super user. */
  assignableRoles: (role: Role): Role[] => (role === 'super' ? ['super', 'admin', 'user'] : role === 'admin' ? ['admin', 'user'] : []),
  changeCompany: (role: Role) => role === 'super',
  /** A gateway's company is fixed at registration; only a super user moves it. */
  moveGateway: (role: Role) => role === 'super',
  /** Super users belong to the super company; the others to a tenant company. */
  companyForRole: (role: Role, companyId: string) => (role === 'super' ? SUPER_COMPANY_ID : companyId),
};
