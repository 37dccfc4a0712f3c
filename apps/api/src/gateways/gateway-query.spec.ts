import { gatewayCountKey, gatewayListFilter, gatewayListSort, gatewayScopeFilter } from './gateway-query';

const since = new Date('2026-01-01T00:00:00Z');

describe('gateway list query', () => {
  it('scopes to the tenant, and a foreign company filter matches nothing', () => {
    expect(gatewayScopeFilter({ companyId: null })).toEqual({});
    expect(gatewayScopeFilter({ companyId: '2' })).toEqual({ companyId: '2' });
    expect(gatewayListFilter({}, { companyId: '2' }, since)).toEqual({ companyId: '2' });
    expect(gatewayListFilter({ companyId: '3' }, { companyId: '2' }, since)).toEqual({ $and: [{ companyId: '2' }, { companyId: '3' }] });
    expect(gatewayListFilter({ companyId: '3' }, { companyId: null }, since)).toEqual({ companyId: '3' });
  });

  it('filters online and offline against the cut-off, never-seen gateways being offline', () => {
    expect(gatewayListFilter({ online: true }, { companyId: null }, since)).toEqual({ lastSeenAt: { $gte: since } });
    expect(gatewayListFilter({ online: false }, { companyId: null }, since)).toEqual({
      $or: [{ lastSeenAt: { $lt: since } }, { lastSeenAt: null }],
    });
  });

  it('combines version, upgrade status and an escaped case-insensitive search', () => {
    expect(gatewayListFilter({ version: '1.0', upgradeStatus: 'pending', search: 'gw.1(' }, { companyId: '2' }, since)).toEqual({
      $and: [
        { companyId: '2' },
        { version: '1.0' },
        { 'upgrade.status': 'pending' },
        { $or: [{ gatewayId: { $regex: 'gw\\.1\\(', $options: 'i' } }, { name: { $regex: 'gw\\.1\\(', $options: 'i' } }] },
      ],
    });
    expect(gatewayListFilter({ upgradeStatus: 'none' }, { companyId: null }, since)).toEqual({ upgrade: null });
  });

  it('sorts by the column, then by gatewayId', () => {
    expect(gatewayListSort()).toEqual({ gatewayId: 1 });
    expect(gatewayListSort('gatewayId', 'desc')).toEqual({ gatewayId: -1 });
    expect(gatewayListSort('lastSeenAt', 'desc')).toEqual({ lastSeenAt: -1, gatewayId: 1 });
  });

  it('keys a count by tenant and filters, not by page or sort', () => {
    const key = gatewayCountKey({ online: true, offset: 50, pageSize: 50, sort: 'lastSeenAt' }, { companyId: '2' });
    expect(gatewayCountKey({ online: true }, { companyId: '2' })).toBe(key);
    expect(gatewayCountKey({ online: true }, { companyId: null })).not.toBe(key);
    expect(gatewayCountKey({ online: false }, { companyId: '2' })).not.toBe(key);
    expect(gatewayCountKey({ search: 'x' }, { companyId: '2' })).not.toBe(gatewayCountKey({ version: 'x' }, { companyId: '2' }));
  });
});
