import { compareVersions } from '@upgrade-manager/frame-codec';
import { isIgnoredResourceName, versionFromFileName, versionKey } from './version-names';

describe('versionKey', () => {
  it.each([
    ['1', '1'],
    ['1.0', '1'],
    ['01.00', '1'],
    ['1.0.0', '1'],
    ['0', '0'],
    ['0.0', '0'],
    ['0.5', '0.5'],
    ['1.10', '1.10'],
    ['1.010', '1.10'],
    ['2.0.1', '2.0.1'],
  ])('%s → %s', (version, key) => {
    expect(versionKey(version)).toBe(key);
  });

  it.each(['', '1.', '.1', 'v1', '1.2a', '1..2', ' 1', '-1', '1'.repeat(65)])('rejects %j', (version) => {
    expect(versionKey(version)).toBeNull();
  });

  it('gives equal keys exactly to versions that order as equal', () => {
    const versions = ['1', '1.0', '1.00', '1.0.1', '1.1', '01.1', '1.10', '10.0', '0.5', '0.50'];
    for (const a of versions) {
      for (const b of versions) {
        expect(versionKey(a) === versionKey(b)).toBe(compareVersions(a, b) === 0);
      }
    }
  });
});

describe('versionFromFileName', () => {
  it.each([
    ['1.2', '1.2'],
    ['1.2.bin', '1.2'],
    ['1.2.BIN', '1.2'],
    ['10', '10'],
    ['1.2.3', '1.2.3'],
  ])('%s → %s', (name, version) => {
    expect(versionFromFileName(name)).toBe(version);
  });

  it.each(['firmware.bin', '1.2.exe', 'v1.2', '1.2.bin.bin', '.bin', '1.2.tmp', ''])('ignores %j', (name) => {
    expect(versionFromFileName(name)).toBeNull();
  });
});

describe('isIgnoredResourceName', () => {
  it.each(['.gitkeep', '.1.2.swp', 'README.md', 'readme', 'README', '1.2~'])('ignores %j silently', (name) => {
    expect(isIgnoredResourceName(name)).toBe(true);
  });

  it.each(['1.2', '1.2.bin', 'firmware.bin', 'readmefile'])('considers %j', (name) => {
    expect(isIgnoredResourceName(name)).toBe(false);
  });
});
