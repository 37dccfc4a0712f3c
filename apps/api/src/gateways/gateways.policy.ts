import type { Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';

/** Admins manage their company's gateways and super users every gateway; users only look (SPEC §2). */
export function assertCanManageGateways(principal: Principal): void {
  if (principal.role === 'user') throw new DomainError(DomainErrorCode.FORBIDDEN, 'Users cannot manage gateways');
}

/** Moving a gateway between companies is for super users only: an admin would take it from another tenant. */
export function assertCanMoveGateways(principal: Principal): void {
  if (principal.role !== 'super') throw new DomainError(DomainErrorCode.FORBIDDEN, 'Only super users move gateways between companies');
}
