import { trustProxySetting } from './trust-proxy';

describe('trustProxySetting', () => {
  it('trusts no proxy by default, a number of hops, or named proxies', () => {
    expect(trustProxySetting('')).toBe(false);
    expect(trustProxySetting('false')).toBe(false);
    expect(trustProxySetting('1')).toBe(1);
    expect(trustProxySetting('loopback')).toBe('loopback');
    expect(trustProxySetting('10.0.0.0/8, 192.168.1.1')).toBe('10.0.0.0/8, 192.168.1.1');
  });
});
