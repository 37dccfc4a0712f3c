import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain.error';
import { assertCanManageGateways, assertCanMoveGateways } from './gateways.policy';

const principal = (role: Principal['role']): Principal => ({ userId: 'u', email: 'u@example.com', role, companyId: role === 'super' ? '1' : '2' });

describe('gateways policy', () => {
  it('lets admins and super users manage gateways, not users', () => {
    expect(() => assertCanManageGateways(principal('admin'))).not.toThrow();
    expect(() => assertCanManageGateways(principal('user'))).toThrow(DomainError);
  });

  it('lets only super users move a gateway to another company', () => {
    expect(() => assertCanMoveGateways(principal('super'))).not.toThrow();
    expect(() => assertCanMoveGateways(principal('admin'))).toThrow(DomainError);
    expect(() => assertCanMoveGateways(principal('user'))).toThrow(DomainError);
  });
});
