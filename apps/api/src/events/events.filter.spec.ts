import type { Principal } from '../auth/principal';
import { eventsFilter } from './events.filter';

const superUser: Principal = { userId: 's', email: 's@one.test', role: 'super', companyId: '1' };
const admin2: Principal = { userId: 'a2', email: 'a@two.test', role: 'admin', companyId: '2' };
const user2: Principal = { userId: 'u2', email: 'u@two.test', role: 'user', companyId: '2' };

describe('eventsFilter', () => {
  it('lets a super user see every company, or the one asked for', () => {
    expect(eventsFilter(superUser, {})).toEqual({});
    expect(eventsFilter(superUser, { companyId: '3' })).toEqual({ companyId: '3' });
  });

  it.each([admin2, user2])('always scopes $role to its own company, even when another is asked for', (principal) => {
    expect(eventsFilter(principal, {})).toEqual({ companyId: '2' });
    expect(eventsFilter(principal, { companyId: '3' })).toEqual({ $and: [{ companyId: '2' }, { companyId: '3' }] });
  });

  it('combines user, gateway, type and a half-open time range', () => {
    expect(
      eventsFilter(admin2, { userId: 'u9', gatewayId: 'gw-1', type: 'software.deployed', from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' }),
    ).toEqual({
      $and: [
        { companyId: '2' },
        { 'actor.userId': 'u9' },
        { gatewayId: 'gw-1' },
        { type: 'software.deployed' },
        { at: { $gte: new Date('2026-01-01T00:00:00Z') } },
        { at: { $lt: new Date('2026-02-01T00:00:00Z') } },
      ],
    });
  });
});
