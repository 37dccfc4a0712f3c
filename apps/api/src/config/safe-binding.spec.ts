import { assertSafeBinding, isLoopbackHost } from './safe-binding';

describe('safe binding of development mode', () => {
  let warn: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => warn.mockRestore());

  it.each(['127.0.0.1', '127.0.1.1', 'localhost', '::1'])('treats %s as loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', '128.0.0.1'])('treats %s as reachable from elsewhere', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  it.each(['0.0.0.0', '::', '192.168.1.10'])('refuses to bind %s without login', (host) => {
    expect(() => assertSafeBinding('none', host)).toThrow(/refuses to bind/);
    expect(warn).not.toHaveBeenCalled();
  });

  it('prints a warning box when development mode binds loopback', () => {
    assertSafeBinding('none', '127.0.0.1');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/DEVELOPMENT MODE[\s\S]*127\.0\.0\.1/);
  });

  it('lets the normal mode bind any address silently', () => {
    expect(() => assertSafeBinding('jwt', '0.0.0.0')).not.toThrow();
    expect(warn).not.toHaveBeenCalled();
  });
});
