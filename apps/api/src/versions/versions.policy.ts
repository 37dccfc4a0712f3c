import type { Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';

/** Super users and company admins may download images (they deploy them). */
export function assertCanDownloadImages(principal: Principal): void {
  if (principal.role === 'user') throw new DomainError(DomainErrorCode.FORBIDDEN, 'Only administrators download images');
}

/**
 * Versions are global: a new one is announced to every company's gateways. So only super users
 * add or remove them; a company admin could otherwise push images to other tenants' gateways.
 */
export function assertCanPublishVersions(principal: Principal): void {
  if (principal.role !== 'super') throw new DomainError(DomainErrorCode.FORBIDDEN, 'Only super users add or remove versions');
}
