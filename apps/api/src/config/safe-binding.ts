const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || host.startsWith('127.');
}

/** Development mode has no login: it must never be reachable from another machine. */
export function assertSafeBinding(authMode: 'jwt' | 'none', host: string): void {
  if (authMode !== 'none') return;
  if (!isLoopbackHost(host)) {
    throw new Error(`AUTH_MODE=none (development mode, no login) refuses to bind ${host}; set HOST=127.0.0.1.`);
  }
  const banner = [
    '#'.repeat(72),
    '#  DEVELOPMENT MODE: no login, every request acts as the super user.   #',
    `#  Bound to loopback only (${host}). Never use this mode in production.`.padEnd(71) + '#',
    '#'.repeat(72),
  ];
  console.warn(banner.join('\n'));
}
