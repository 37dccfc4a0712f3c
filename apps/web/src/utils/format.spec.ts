import { formatBytes, formatRelative, plural } from './format';

describe('format', () => {
  it('formats sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200 MiB');
  });

  it('says how long ago something happened', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(formatRelative('2026-01-01T11:57:00Z', now)).toBe('3 minutes ago');
    expect(formatRelative('2026-01-01T12:00:00Z', now)).toBe('now');
    expect(formatRelative(null, now)).toBe('never');
  });

  it('pluralises counts', () => {
    expect(plural(1, 'gateway')).toBe('1 gateway');
    expect(plural(1200, 'gateway')).toBe('1,200 gateways');
  });
});
