import type { Role } from '@upgrade-manager/dto';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { assertCanManageVersions } from './versions.policy';

describe('assertCanManageVersions', () => {
  const principal = (role: Role) => ({ userId: 'u', email: 'u@example.com', role, companyId: role === 'super' ? '1' : '2' });

  it.each<Role>(['super', 'admin'])('lets %s upload, download and delete', (role) => {
    expect(() => assertCanManageVersions(principal(role))).not.toThrow();
  });

  it('refuses a plain user with FORBIDDEN', () => {
    const refusal = (() => {
      try {
        assertCanManageVersions(principal('user'));
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({ code: DomainErrorCode.FORBIDDEN, message: 'Only administrators manage versions' });
  });
});
