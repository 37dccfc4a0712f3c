/**
 * TRUST_PROXY as Express's `trust proxy` setting: empty (the default) trusts no proxy, so the
 * client address is the connection's; a number trusts that many hops; anything else names the
 * proxies (`loopback`, `uniquelocal`, addresses or CIDRs, comma-separated). Only then is
 * X-Forwarded-For believed: it decides which address login throttling and rate limits count.
 */
export function trustProxySetting(value: string): boolean | number | string {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === 'false') return false;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  return trimmed;
}
