import { keyIdOf, trustedKeyLine } from '@upgrade-manager/protocol-v2';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateSigningKey, readSigningKeyFile, readTrustedKeysFile, signingKeyPath, SigningKeyFileError } from './signing-key-file';

describe('signing key file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'um-keys-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults to DATA_DIR/keys/manifest-signing.pem', () => {
    expect(signingKeyPath(undefined, dir)).toBe(join(dir, 'keys', 'manifest-signing.pem'));
    expect(signingKeyPath('', dir)).toBe(join(dir, 'keys', 'manifest-signing.pem'));
    expect(signingKeyPath(join(dir, 'k.pem'), '/elsewhere')).toBe(join(dir, 'k.pem'));
  });

  it('is created once with mode 0600 and read back the same', () => {
    const path = join(dir, 'keys', 'manifest-signing.pem');
    const first = loadOrCreateSigningKey(path);
    expect(first.created).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const second = loadOrCreateSigningKey(path);
    expect(second.created).toBe(false);
    expect(keyIdOf(second.key)).toBe(keyIdOf(first.key));
  });

  it('is refused when others may read it, or when it is not an Ed25519 key', () => {
    const path = join(dir, 'k.pem');
    loadOrCreateSigningKey(path);
    chmodSync(path, 0o644);
    expect(() => readSigningKeyFile(path)).toThrow(/readable by others/);
    writeFileSync(path, 'not a key', { mode: 0o600 });
    chmodSync(path, 0o600);
    expect(() => readSigningKeyFile(path)).toThrow(SigningKeyFileError);
  });

  it('reads trusted keys by id, and names the file on a bad line', () => {
    const { key } = loadOrCreateSigningKey(join(dir, 'k.pem'));
    const trusted = join(dir, 'trusted');
    writeFileSync(trusted, `# release pipeline\n${trustedKeyLine(key, 'release-2026')}\n`);
    expect([...readTrustedKeysFile(trusted).keys()]).toEqual(['release-2026']);
    expect(readTrustedKeysFile(undefined).size).toBe(0);
    writeFileSync(trusted, 'release-2026 AAAA\n');
    expect(() => readTrustedKeysFile(trusted)).toThrow(/TRUSTED_KEYS_FILE .*line 1/);
  });
});
