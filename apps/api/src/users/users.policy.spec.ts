import type { Role } from '@upgrade-manager/dto';
import type { Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { removesEnabledSuper, resolveNewUser, resolveUserUpdate, userVisibilityFilter, type UserChanges, type UserRecord } from './users.policy';

const superUser: Principal = { userId: 's', email: 's@one.test', role: 'super', companyId: '1' };
const admin1: Principal = { userId: 'a1', email: 'a@one.test', role: 'admin', companyId: '1' };
const admin2: Principal = { userId: 'a2', email: 'a@two.test', role: 'admin', companyId: '2' };
const user2: Principal = { userId: 'u2', email: 'u@two.test', role: 'user', companyId: '2' };

function outcome(run: () => unknown): string {
  try {
    const result = run();
    return `ok ${JSON.stringify(result)}`;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
}

describe('resolveNewUser', () => {
  it.each<[string, Principal, { role: Role; companyId?: string }, string]>([
    ['super creates a super user in company 1 by default', superUser, { role: 'super' }, 'ok {"role":"super","companyId":"1"}'],
    ['super creates an admin of company 3', superUser, { role: 'admin', companyId: '3' }, 'ok {"role":"admin","companyId":"3"}'],
    ['super cannot put a super user outside company 1', superUser, { role: 'super', companyId: '2' }, DomainErrorCode.INVALID_INPUT],
    ['admin creates a user of its company by default', admin2, { role: 'user' }, 'ok {"role":"user","companyId":"2"}'],
    ['admin creates an admin of its company', admin2, { role: 'admin', companyId: '2' }, 'ok {"role":"admin","companyId":"2"}'],
    ['admin never creates a super user', admin2, { role: 'super' }, DomainErrorCode.FORBIDDEN],
    ['admin of company 1 never creates a super user either', admin1, { role: 'super', companyId: '1' }, DomainErrorCode.FORBIDDEN],
    ['admin never creates a user of another company', admin2, { role: 'user', companyId: '3' }, DomainErrorCode.FORBIDDEN],
    ['a plain user creates nobody', user2, { role: 'user' }, DomainErrorCode.FORBIDDEN],
  ])('%s', (_name, principal, input, expected) => {
    expect(outcome(() => resolveNewUser(principal, input))).toBe(expected);
  });
});

describe('resolveUserUpdate', () => {
  const plain2: UserRecord = { role: 'user', companyId: '2', enabled: true };
  const super1: UserRecord = { role: 'super', companyId: '1', enabled: true };

  it.each<[string, Principal, UserRecord, UserChanges, string]>([
    ['super moves a user to company 3', superUser, plain2, { companyId: '3' }, 'ok {"role":"user","companyId":"3","enabled":true}'],
    ['super promotes a user to super (moved to company 1)', superUser, plain2, { role: 'super' }, 'ok {"role":"super","companyId":"1","enabled":true}'],
    ['super cannot keep a super user outside company 1', superUser, plain2, { role: 'super', companyId: '2' }, DomainErrorCode.INVALID_INPUT],
    ['super demotes a super user', superUser, super1, { role: 'admin' }, 'ok {"role":"admin","companyId":"1","enabled":true}'],
    ['admin promotes a user to admin', admin2, plain2, { role: 'admin' }, 'ok {"role":"admin","companyId":"2","enabled":true}'],
    ['admin disables a user', admin2, plain2, { enabled: false }, 'ok {"role":"user","companyId":"2","enabled":false}'],
    ['admin never promotes to super', admin2, plain2, { role: 'super' }, DomainErrorCode.FORBIDDEN],
    ['admin never moves a user to another company', admin2, plain2, { companyId: '3' }, DomainErrorCode.FORBIDDEN],
    ['admin of company 1 never changes a super user', admin1, super1, { enabled: false }, DomainErrorCode.FORBIDDEN],
    ['a plain user changes nobody through /users', user2, plain2, { role: 'admin' }, DomainErrorCode.FORBIDDEN],
  ])('%s', (_name, principal, target, changes, expected) => {
    expect(outcome(() => resolveUserUpdate(principal, target, changes))).toBe(expected);
  });
});

describe('removesEnabledSuper', () => {
  const super1: UserRecord = { role: 'super', companyId: '1', enabled: true };
  it.each<[UserRecord, UserRecord, boolean]>([
    [super1, { ...super1, role: 'admin' }, true],
    [super1, { ...super1, enabled: false }, true],
    [super1, { ...super1 }, false],
    [{ ...super1, enabled: false }, { ...super1, enabled: false, role: 'user' }, false],
    [{ role: 'admin', companyId: '1', enabled: true }, { role: 'user', companyId: '1', enabled: false }, false],
  ])('%j -> %j: %s', (before, after, expected) => {
    expect(removesEnabledSuper(before, after)).toBe(expected);
  });
});

describe('userVisibilityFilter', () => {
  it('scopes everyone but super users to their company', () => {
    expect(userVisibilityFilter(superUser)).toEqual({});
    expect(userVisibilityFilter(admin2)).toEqual({ companyId: '2' });
    expect(userVisibilityFilter(admin1)).toEqual({ companyId: '1' });
  });
});
