import type { VersionDto } from '@upgrade-manager/dto';
import { generateSigningKey, keyIdOf, publicKeyFromRaw, signManifest, trustedKeyLine, verifyManifest } from '@upgrade-manager/protocol-v2';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi, type TestApi } from '../../test/test-api';
import { gridFsCounts, postVersionForm } from '../../test/version-upload';
import { readSigningKeyFile } from './signing-key-file';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('signed versions (real database and broker)', () => {
  let api: TestApi;
  let dir: string;
  const release = generateSigningKey();
  const releaseId = 'release-pipeline';
  const major = `${randomInt(100_000, 999_999)}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'um-signing-'));
    writeFileSync(join(dir, 'trusted'), `${trustedKeyLine(release, releaseId)}\n`);
    api = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1', SIGNING_KEY_FILE: join(dir, 'server.pem'), TRUSTED_KEYS_FILE: join(dir, 'trusted') });
  });

  afterAll(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const detached = (version: string, image: Buffer, keyId = releaseId) =>
    signManifest({ version, size: image.length, sha256: sha256(image), keyId }, release).toString('base64');

  it('creates the server key with mode 0600 on first start and signs uploads with it', async () => {
    const keyFile = join(dir, 'server.pem');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const serverKey = readSigningKeyFile(keyFile);
    const image = randomBytes(4000);
    const response = await postVersionForm(api.baseUrl, [
      ['version', `${major}.1`],
      ['file', image],
    ]);
    expect(response.status).toBe(201);
    const version = (await response.json()) as VersionDto;
    expect(version.keyId).toBe(keyIdOf(serverKey));
    const manifest = { version: `${major}.1`, size: image.length, sha256: sha256(image), keyId: keyIdOf(serverKey) };
    const publicKey = publicKeyFromRaw(Buffer.from(trustedKeyLine(serverKey).split(' ')[1] ?? '', 'base64'));
    expect(verifyManifest(manifest, Buffer.from(version.signature ?? '', 'base64'), publicKey)).toBe(true);
  });

  it('accepts a detached signature made elsewhere with a trusted key', async () => {
    const image = randomBytes(3000);
    const signature = detached(`${major}.2`, image);
    const response = await postVersionForm(api.baseUrl, [
      ['version', `${major}.2`],
      ['keyId', releaseId],
      ['signature', signature],
      ['file', image],
    ]);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ keyId: releaseId, signature });
  });

  it.each([
    [
      'a signature of other bytes',
      (image: Buffer) => [
        ['keyId', releaseId],
        ['signature', detached(`${major}.3`, Buffer.concat([image, Buffer.from('x')]))],
      ],
      /does not verify/,
    ],
    [
      'a signature for another version',
      (image: Buffer) => [
        ['keyId', releaseId],
        ['signature', detached(`${major}.4`, image)],
      ],
      /does not verify/,
    ],
    [
      'an unknown key id',
      (image: Buffer) => [
        ['keyId', 'stolen'],
        ['signature', detached(`${major}.3`, image, 'stolen')],
      ],
      /Unknown signing key id/,
    ],
    ['a signature without key id', (image: Buffer) => [['signature', detached(`${major}.3`, image)]], /needs both/],
  ] as const)('refuses %s with a 400 and stores nothing', async (_name, extra, message) => {
    const image = randomBytes(2000);
    const before = await gridFsCounts(api.app);
    const response = await postVersionForm(api.baseUrl, [['version', `${major}.3`], ...(extra(image) as Array<[string, string]>), ['file', image]]);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(message);
    expect(await gridFsCounts(api.app)).toEqual(before);
  });
});
