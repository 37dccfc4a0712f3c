import { globToLinearRegexSource, globToRegexSource, ID_PATTERN } from '@upgrade-manager/dto';
import { regexEngineOf } from '../database/regex-engine';
import { gatewayCountKey, gatewayListFilter, gatewayListKey, gatewayListSort, gatewayScopeFilter, gatewayTargetFilter } from './gateway-query';

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
    expect(gatewayCountKey({ tag: 'x' }, { companyId: '2' })).not.toBe(gatewayCountKey({ search: 'x' }, { companyId: '2' }));
    expect(gatewayCountKey({ admission: 'pending' }, { companyId: '2' })).not.toBe(gatewayCountKey({}, { companyId: '2' }));
  });

  it("keys a list's snapshot by its filters and sort, never by its page", () => {
    const key = gatewayListKey({ online: true, offset: 50, pageSize: 50, sort: 'lastSeenAt', order: 'desc' }, { companyId: '2' });
    expect(gatewayListKey({ online: true, sort: 'lastSeenAt', order: 'desc' }, { companyId: '2' })).toBe(key);
    expect(gatewayListKey({ online: true, sort: 'lastSeenAt', order: 'asc' }, { companyId: '2' })).not.toBe(key);
    expect(gatewayListKey({ online: true, sort: 'version', order: 'desc' }, { companyId: '2' })).not.toBe(key);
    expect(gatewayListKey({ online: true, sort: 'lastSeenAt', order: 'desc' }, { companyId: '3' })).not.toBe(key);
    expect(gatewayListKey({ online: true, sort: 'lastSeenAt', order: 'desc', admission: 'pending' }, { companyId: '2' })).not.toBe(key);
  });
});

describe('gateway target filter (rollouts, bulk tagging)', () => {
  it('takes enabled gateways in the scope with every given tag, one of the versions, and a glob over id or name', () => {
    expect(gatewayTargetFilter({ tags: ['a', 'b'], versions: ['1.0'], idPattern: 'gw-?.*' }, { companyId: '2' }, since, 'automaton')).toEqual({
      $and: [
        { enabled: { $ne: false } },
        { companyId: '2' },
        { tags: { $all: ['a', 'b'] } },
        { version: { $in: ['1.0'] } },
        { $or: [{ gatewayId: { $regex: '^gw\\-.\\..*$' } }, { name: { $regex: '^gw\\-.\\..*$' } }] },
      ],
    });
    expect(gatewayTargetFilter({}, { companyId: null }, since, 'backtracking')).toEqual({ enabled: { $ne: false } });
  });

  it('writes the glob in the linear form for a backtracking engine (MongoDB), the plain one for FerretDB 1.x', () => {
    const pattern = (regexEngine: 'backtracking' | 'automaton') => gatewayTargetFilter({ idPattern: '*a*a*a*b' }, { companyId: null }, since, regexEngine);
    const linear = { $regex: globToLinearRegexSource('*a*a*a*b') };
    expect(linear.$regex).toBe('^(?=(.*?a))\\1(?=(.*?a))\\2(?=(.*?a))\\3.*b$');
    expect(pattern('backtracking')).toEqual({ $and: [{ enabled: { $ne: false } }, { $or: [{ gatewayId: linear }, { name: linear }] }] });
    const plain = { $regex: '^.*a.*a.*a.*b$' };
    expect(pattern('automaton')).toEqual({ $and: [{ enabled: { $ne: false } }, { $or: [{ gatewayId: plain }, { name: plain }] }] });
  });

  it("tells the regex engine by the buildInfo reply: FerretDB 1.x (Go's regexp) from MongoDB and FerretDB 2.x (PCRE2)", () => {
    expect(regexEngineOf({ version: '7.0.14', ok: 1 })).toBe('backtracking');
    expect(regexEngineOf({ version: '7.0.42', ferretdbVersion: 'v1.24.2', ok: 1 })).toBe('automaton');
    expect(regexEngineOf({ version: '7.0.42', ferretdbVersion: 'um-fixes-15', ok: 1 })).toBe('automaton');
    expect(regexEngineOf({ version: '7.0.77', ferretdbVersion: 'v2.5.0', ok: 1 })).toBe('backtracking');
  });

  it('turns only * and ? into wildcards', () => {
    expect(globToRegexSource('a(b)+c*')).toBe('^a\\(b\\)\\+c.*$');
    expect(new RegExp(globToRegexSource('gw-1?')).test('gw-12')).toBe(true);
    expect(new RegExp(globToRegexSource('gw-1?')).test('gw-123')).toBe(false);
  });

  it('bounds the pattern alphabet and the number of *', () => {
    expect(ID_PATTERN.test('gw-*-eu?')).toBe(true);
    expect(ID_PATTERN.test('*a*b*c*d')).toBe(true);
    expect(ID_PATTERN.test('*a*b*c*d*')).toBe(false);
    expect(ID_PATTERN.test('(a+)+')).toBe(false);
  });
});
