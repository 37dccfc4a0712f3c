import type { CompanyDto, EventDto, GatewayDto, UserDto, VersionDto } from '@upgrade-manager/dto';

const AT = '2026-01-01T12:00:00.000Z';

export function gateway(overrides: Partial<GatewayDto> & Pick<GatewayDto, 'gatewayId'>): GatewayDto {
  return {
    companyId: '2',
    name: null,
    version: '0.5',
    lastUpgradeAt: null,
    lastSeenAt: AT,
    online: true,
    upgrade: null,
    address: null,
    latitude: null,
    longitude: null,
    enabled: true,
    tags: [],
    admission: 'accepted',
    createdAt: AT,
    ...overrides,
  };
}

export function version(overrides: Partial<VersionDto> & Pick<VersionDto, 'version'>): VersionDto {
  return {
    size: 2048,
    sha256: 'ab'.repeat(32),
    crc32: 'cbf43926',
    createdAt: AT,
    createdBy: { userId: 'u-super', email: 'super@example.com' },
    source: 'upload',
    latest: false,
    ...overrides,
  };
}

export function event(overrides: Partial<EventDto> & Pick<EventDto, 'id' | 'type'>): EventDto {
  return { at: AT, actor: { userId: 'u-super', email: 'super@example.com' }, companyId: '2', gatewayId: null, details: {}, ...overrides };
}

export function company(companyId: string, name: string, overrides: Partial<CompanyDto> = {}): CompanyDto {
  return { companyId, name, enabled: true, createdAt: AT, updatedAt: AT, ...overrides };
}

export function user(overrides: Partial<UserDto> & Pick<UserDto, 'id' | 'email' | 'role' | 'companyId'>): UserDto {
  return { name: overrides.email.split('@')[0], enabled: true, createdAt: AT, updatedAt: AT, ...overrides };
}

export const list = <T>(items: T[], total = items.length) => ({ items, total, offset: 0, limit: 50 });
