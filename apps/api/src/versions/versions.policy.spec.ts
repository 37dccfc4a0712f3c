import type { Role } from '@upgrade-manager/dto';
import { DomainErrorCode } from '../common/domain.error';
import { assertCanDownloadImages, assertCanPublishVersions } from './versions.policy';

describe('versions policy', () => {
  const principal = (role: Role) => ({ userId: 'u', email: 'u@example.com', role, companyId: role === 'super' ? '1' : '2' });

  it.each<[Role, boolean, boolean]>([
    ['super', true, true],
    ['admin', true, false],
    ['user', false, false],
  ])('%s: download %s, publish %s', (role, download, publish) => {
    const outcome = (check: () => void) => {
      try {
        check();
        return true;
      } catch (error) {
        expect(error).toMatchObject({ code: DomainErrorCode.FORBIDDEN });
        return false;
      }
    };
    expect(outcome(() => assertCanDownloadImages(principal(role)))).toBe(download);
    expect(outcome(() => assertCanPublishVersions(principal(role)))).toBe(publish);
  });
});
