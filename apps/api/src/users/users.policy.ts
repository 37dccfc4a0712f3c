import { type Role, SUPER_COMPANY_ID } from '@upgrade-manager/dto';
import type { Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';

// The rights of SPEC §2 on user accounts, as pure functions so they can be tested as a table.

export interface UserRecord {
  role: Role;
  companyId: string;
  enabled: boolean;
}

export interface UserChanges {
  role?: Role;
  companyId?: string;
  enabled?: boolean;
}

function forbidden(message: string): DomainError {
  return new DomainError(DomainErrorCode.FORBIDDEN, message);
}

/** Plain users manage only themselves, through /auth/me. */
export function assertCanManageUsers(principal: Principal): void {
  if (principal.role === 'user') throw forbidden('Only administrators manage users');
}

/** Database filter of the users a principal may see: its own company unless super. */
export function userVisibilityFilter(principal: Principal): { companyId?: string } {
  return principal.role === 'super' ? {} : { companyId: principal.companyId };
}

function assertSuperInSuperCompany(role: Role, companyId: string): void {
  if (role === 'super' && companyId !== SUPER_COMPANY_ID) {
    throw new DomainError(DomainErrorCode.INVALID_INPUT, `Super users belong to company "${SUPER_COMPANY_ID}"`);
  }
}

/** The role and company of a new user, or why the principal may not create it. */
export function resolveNewUser(principal: Principal, input: { role: Role; companyId?: string }): { role: Role; companyId: string } {
  assertCanManageUsers(principal);
  const companyId = input.companyId ?? (input.role === 'super' ? SUPER_COMPANY_ID : principal.companyId);
  if (principal.role === 'admin') {
    if (input.role === 'super') throw forbidden('An admin cannot create a super user');
    if (companyId !== principal.companyId) throw forbidden('An admin creates users of its own company only');
  }
  assertSuperInSuperCompany(input.role, companyId);
  return { role: input.role, companyId };
}

/**
 * The resulting role/company/enabled of an update, or why the principal may not make it.
 * The target is already known to be visible to the principal (else the caller answers 404).
 */
export function resolveUserUpdate(principal: Principal, target: UserRecord, changes: UserChanges): UserRecord {
  assertCanManageUsers(principal);
  const role = changes.role ?? target.role;
  const companyId = changes.companyId ?? (changes.role === 'super' ? SUPER_COMPANY_ID : target.companyId);
  if (principal.role === 'admin') {
    if (target.role === 'super') throw forbidden('An admin cannot change a super user');
    if (role === 'super') throw forbidden('An admin cannot promote a user to super');
    if (companyId !== principal.companyId) throw forbidden('An admin cannot move a user to another company');
  }
  assertSuperInSuperCompany(role, companyId);
  return { role, companyId, enabled: changes.enabled ?? target.enabled };
}

/** True when the change takes away an enabled super user (the caller then checks it is not the last). */
export function removesEnabledSuper(before: UserRecord, after: UserRecord): boolean {
  return before.role === 'super' && before.enabled && (after.role !== 'super' || !after.enabled);
}
