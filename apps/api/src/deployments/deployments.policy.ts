import type { Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';

/** Users see deployments but never make them; only super users deploy to every gateway (SPEC §1, §2). */
export function assertCanDeploy(principal: Principal, everyGateway: boolean): void {
  if (principal.role === 'user') throw new DomainError(DomainErrorCode.FORBIDDEN, 'Users cannot deploy software');
  if (everyGateway && principal.role !== 'super') throw new DomainError(DomainErrorCode.FORBIDDEN, 'Only super users deploy to every gateway');
}
