import { parseTrustedKeys, verifyManifest } from '@upgrade-manager/protocol-v2';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyCommand, keyFileOf, KeysCommandError, publicKeyCommand, signImageCommand } from './keys.commands';

describe('npm run keys', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'um-keys-cli-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a 0600 key, prints its trusted-keys line, and signs an image detached', async () => {
    const file = join(dir, 'k.pem');
    const lines: string[] = [];
    createKeyCommand(file, (line) => lines.push(line));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const printed: string[] = [];
    publicKeyCommand(file, (line) => printed.push(line));
    expect(lines.at(-1)).toBe(printed[0]);
    const trusted = parseTrustedKeys(printed[0] ?? '');

    const image = join(dir, 'image.bin');
    writeFileSync(image, randomBytes(5000));
    const out: string[] = [];
    await signImageCommand(file, image, '1.2', (line) => out.push(line));
    const signed = JSON.parse(out[0] ?? '{}') as { version: string; size: number; sha256: string; keyId: string; signature: string };
    expect(signed).toMatchObject({ version: '1.2', size: 5000 });
    const key = trusted.get(signed.keyId);
    expect(key).toBeDefined();
    expect(verifyManifest(signed, Buffer.from(signed.signature, 'base64'), key as NonNullable<typeof key>)).toBe(true);
  });

  it('never overwrites a key and explains a missing one', () => {
    const file = join(dir, 'k.pem');
    createKeyCommand(file, () => undefined);
    expect(() => createKeyCommand(file, () => undefined)).toThrow(KeysCommandError);
    expect(() => publicKeyCommand(join(dir, 'none.pem'), () => undefined)).toThrow(/npm run keys -- create/);
  });

  it('finds the key file from --file, SIGNING_KEY_FILE or DATA_DIR', () => {
    expect(keyFileOf('/a.pem', { SIGNING_KEY_FILE: '/b.pem' })).toBe('/a.pem');
    expect(keyFileOf(undefined, { SIGNING_KEY_FILE: '/b.pem' })).toBe('/b.pem');
    expect(keyFileOf(undefined, { DATA_DIR: '/data' })).toBe('/data/keys/manifest-signing.pem');
  });
});
