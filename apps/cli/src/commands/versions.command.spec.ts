import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSignature } from './versions.command';

describe('readSignature', () => {
  const dir = mkdtempSync(join(tmpdir(), 'um-cli-signature-'));
  const raw = Buffer.alloc(64, 7);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('encodes a raw 64-byte signature as base64', () => {
    writeFileSync(join(dir, 'raw.sig'), raw);
    expect(readSignature(join(dir, 'raw.sig'))).toBe(raw.toString('base64'));
  });

  it('takes base64 text as it is, without the line break', () => {
    writeFileSync(join(dir, 'text.sig'), `${raw.toString('base64')}\n`);
    expect(readSignature(join(dir, 'text.sig'))).toBe(raw.toString('base64'));
  });

  it('says which file it cannot read', () => {
    expect(() => readSignature(join(dir, 'missing.sig'))).toThrow(`Cannot read the signature ${join(dir, 'missing.sig')}`);
  });
});
