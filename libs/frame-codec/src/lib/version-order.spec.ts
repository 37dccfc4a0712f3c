import { MAX_VERSION_LENGTH, compareVersions, isValidVersion, latestVersion, sortVersions } from './version-order';

describe('isValidVersion', () => {
  it.each(['0', '1', '0.5', '1.0', '1.10', '2.0.13', '10.20.30.40', '01.002'])('accepts %p', (version) => {
    expect(isValidVersion(version)).toBe(true);
  });

  it.each(['', '.', '1.', '.1', '1..2', 'v1.0', '1.0-beta', ' 1.0', '1.0 ', '-1', '1e3', '1,0', '١.٠'])('rejects %p', (version) => {
    expect(isValidVersion(version)).toBe(false);
  });

  it('rejects versions longer than the limit', () => {
    expect(isValidVersion('1'.repeat(MAX_VERSION_LENGTH))).toBe(true);
    expect(isValidVersion('1'.repeat(MAX_VERSION_LENGTH + 1))).toBe(false);
  });
});

describe('compareVersions', () => {
  it.each([
    ['1.10', '1.9', 1],
    ['1.9', '1.10', -1],
    ['0.5', '1.0', -1],
    ['2', '1.99', 1],
    ['1.0.1', '1.0', 1],
    ['1.0', '1.0', 0],
    // Trailing zero components and leading zeros are not significant.
    ['1', '1.0', 0],
    ['1.0.0', '1', 0],
    ['1.01', '1.1', 0],
    // Components beyond Number.MAX_SAFE_INTEGER still order correctly.
    ['1.90071992547409910', '1.90071992547409909', 1],
  ])('compareVersions(%p, %p) is %p', (a, b, expected) => {
    expect(Math.sign(compareVersions(a, b))).toBe(expected);
  });

  it('throws RangeError on an invalid version', () => {
    expect(() => compareVersions('1.0', 'latest')).toThrow(RangeError);
  });
});

describe('sortVersions', () => {
  it('sorts oldest first as dotted numbers', () => {
    expect(sortVersions(['1.10', '0.5', '1.9', '1.0', '2', '1.2.1'])).toEqual(['0.5', '1.0', '1.2.1', '1.9', '1.10', '2']);
  });

  it('orders numerically equal versions by text, whatever the input order', () => {
    expect(sortVersions(['1.0', '1', '1.00'])).toEqual(['1', '1.0', '1.00']);
    expect(sortVersions(['1.00', '1.0', '1'])).toEqual(['1', '1.0', '1.00']);
  });

  it('returns a new array', () => {
    const input = ['2', '1'];
    expect(sortVersions(input)).not.toBe(input);
    expect(input).toEqual(['2', '1']);
  });
});

describe('latestVersion', () => {
  it('is the newest version', () => {
    expect(latestVersion(['0.5', '1.10', '1.9'])).toBe('1.10');
  });

  it('is null for an empty list', () => {
    expect(latestVersion([])).toBeNull();
  });

  it('agrees with the last element of sortVersions on ties', () => {
    expect(latestVersion(['1.0', '1', '0.9'])).toBe('1.0');
    expect(latestVersion(['1', '1.0', '0.9'])).toBe('1.0');
  });

  it('throws RangeError on an invalid version, even alone', () => {
    expect(() => latestVersion(['x'])).toThrow(RangeError);
  });
});
