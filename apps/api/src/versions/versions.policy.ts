import type { Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';

/** Only super users and company admins upload, download or delete images (SPEC §2 upgrade page). */
export function assertCanManageVersions(principal: Principal): void {
  if (principal.role === 'user') throw new DomainError(DomainErrorCode.FORBIDDEN, 'Only administrators manage versions');
}
