import type { Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';

/** Only super users create, rename or disable companies (SPEC §2). */
export function assertCanManageCompanies(principal: Principal): void {
  if (principal.role !== 'super') throw new DomainError(DomainErrorCode.FORBIDDEN, 'Only super users manage companies');
}

/** Database filter of the companies a principal may see: its own unless super. */
export function companyVisibilityFilter(principal: Principal): { companyId?: string } {
  return principal.role === 'super' ? {} : { companyId: principal.companyId };
}
