import { getConnectionToken } from '@nestjs/mongoose';
import type { VersionDto, VersionListDto } from '@upgrade-manager/dto';
import { decodeFrame, parseAvailableVersionsPayload, parseLatestVersionPayload } from '@upgrade-manager/frame-codec';
import { crc32 } from 'crc';
import { connectAsync, type MqttClient } from 'mqtt';
import type { Connection } from 'mongoose';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { gridFsCounts, postVersionForm } from '../../test/version-upload';
import { VersionsService } from './versions.service';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const crc32Hex = (bytes: Buffer) => (crc32(bytes) >>> 0).toString(16).padStart(8, '0');

describe('versions (real database, broker and resources folder)', () => {
  let api: TestApi;
  let resourcesDir: string;
  let subscriber: MqttClient;
  const latestSeen: string[] = [];
  const availableSeen: string[][] = [];
  // A major no other test uses, so that broadcasts of other test APIs on the shared broker never match.
  const major = `${randomInt(100_000, 999_999)}`;
  const v = (rest: string) => `${major}.${rest}`;
  const startupImage = randomBytes(5000);

  const upload = (fields: Array<[string, string | Buffer]>) => postVersionForm(api.baseUrl, fields);

  async function list(): Promise<VersionDto[]> {
    const response = await fetch(`${api.baseUrl}/api/versions`);
    expect(response.status).toBe(200);
    return ((await response.json()) as VersionListDto).items;
  }

  beforeAll(async () => {
    resourcesDir = await mkdtemp(join(tmpdir(), 'um-resources-'));
    await writeFile(join(resourcesDir, `${v('0.5')}.bin`), startupImage);
    api = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1', RESOURCES_DIR: resourcesDir });
    // Listens as a gateway does: the broker's ACL lets the gateway account read the broadcast topics.
    subscriber = await connectAsync(process.env['MQTT_URL'] ?? 'mqtt://127.0.0.1:1883', {
      clientId: `um-test-versions-gw-${randomBytes(4).toString('hex')}`,
      username: process.env['MQTT_GATEWAY_USERNAME'] ?? 'gateway',
      password: process.env['MQTT_GATEWAY_PASSWORD'],
      clean: true,
      reconnectPeriod: 0,
    });
    subscriber.on('message', (topic, payload) => {
      const frame = decodeFrame(payload);
      if (topic === 'TOGATEWAY/LATEST_VERSION') latestSeen.push(parseLatestVersionPayload(frame.payload).version);
      if (topic === 'TOGATEWAY/AVAILABLE_VERSIONS') availableSeen.push(parseAvailableVersionsPayload(frame.payload).versions);
    });
    const granted = await subscriber.subscribeAsync(['TOGATEWAY/LATEST_VERSION', 'TOGATEWAY/AVAILABLE_VERSIONS'], { qos: 1 });
    expect(granted.map((grant) => grant.qos)).toEqual([1, 1]);
  });

  afterAll(async () => {
    await subscriber?.endAsync();
    await api?.close();
    await rm(resourcesDir, { recursive: true, force: true });
  });

  it('imports the files already in RESOURCES_DIR at start-up', async () => {
    const [imported] = await eventually(async () => {
      const items = await list();
      expect(items).toHaveLength(1);
      return items;
    });
    expect(imported).toMatchObject({ version: v('0.5'), source: 'resources', size: startupImage.length, sha256: sha256(startupImage), latest: true });
  });

  it('stores a 3 MiB upload in GridFS and returns it byte for byte, with its size, SHA-256 and CRC-32', async () => {
    const image = randomBytes(3 * 1024 * 1024);
    const response = await upload([
      ['version', v('1')],
      ['file', image],
    ]);
    expect(response.status).toBe(201);
    const created = (await response.json()) as VersionDto;
    expect(created).toMatchObject({
      version: v('1'),
      size: image.length,
      sha256: sha256(image),
      crc32: crc32Hex(image),
      source: 'upload',
      latest: true,
      createdBy: { userId: 'development', email: 'development@localhost' },
    });

    const download = await fetch(`${api.baseUrl}/api/versions/${v('1')}/content`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-length')).toBe(String(image.length));
    expect(download.headers.get('x-checksum-sha256')).toBe(sha256(image));
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(sha256(bytes)).toBe(sha256(image));
    expect(bytes.equals(image)).toBe(true);

    // GridFS chunks of 255 KiB: 3 MiB is 13 of them, plus the one of the start-up import.
    expect(await gridFsCounts(api.app)).toEqual({ files: 2, chunks: 14 });
  });

  it('broadcasts Latest Version and Available Versions to gateways after an upload', async () => {
    await eventually(async () => expect(latestSeen).toContain(v('1')));
    await eventually(async () => expect(availableSeen).toContainEqual([v('0.5'), v('1')]));
  });

  it('reads the whole image for publishing and hands out the same Buffer while it is the last one read', async () => {
    const versions = api.app.get(VersionsService);
    const first = await versions.readContent(v('1'));
    const again = await versions.readContent(`${v('1')}.0`);
    expect(first?.length).toBe(3 * 1024 * 1024);
    expect(again).toBe(first);
    expect(await versions.readContent(v('999'))).toBeNull();
    expect(await versions.readContent('not-a-version')).toBeNull();
    expect(await versions.exists(v('1'))).toBe(true);
    expect(await versions.exists(v('2'))).toBe(false);
  });

  it('accepts the version field after the file', async () => {
    const image = randomBytes(300_000);
    const response = await upload([
      ['file', image],
      ['version', v('2')],
    ]);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ version: v('2'), size: image.length, sha256: sha256(image), latest: true });
    const bytes = Buffer.from(await (await fetch(`${api.baseUrl}/api/versions/${v('2')}/content`)).arrayBuffer());
    expect(bytes.equals(image)).toBe(true);
  });

  it('refuses a duplicate version with 409, also one that only orders the same, and stores nothing', async () => {
    const before = await gridFsCounts(api.app);
    for (const fields of [
      [
        ['version', v('2')],
        ['file', randomBytes(1000)],
      ],
      [
        ['version', `${v('2')}.0`],
        ['file', randomBytes(1000)],
      ],
      [
        ['file', randomBytes(1000)],
        ['version', v('2')],
      ],
    ] as Array<Array<[string, string | Buffer]>>) {
      const response = await upload(fields);
      expect(response.status).toBe(409);
      expect(((await response.json()) as { message: string }).message).toContain('already exists');
    }
    expect(await gridFsCounts(api.app)).toEqual(before);
  });

  it('refuses an invalid, missing or empty part with 400 and a message, and stores nothing', async () => {
    const before = await gridFsCounts(api.app);
    const cases: Array<[Array<[string, string | Buffer]>, string]> = [
      [
        [
          ['version', 'v1.0'],
          ['file', randomBytes(1000)],
        ],
        'Invalid version "v1.0"',
      ],
      [
        [
          ['file', randomBytes(1000)],
          ['version', '1.x'],
        ],
        'Invalid version "1.x"',
      ],
      [[['version', v('3')]], 'no "file" part'],
      [[['file', randomBytes(1000)]], 'no "version" field'],
      [
        [
          ['version', v('3')],
          ['file', Buffer.alloc(0)],
        ],
        'empty',
      ],
    ];
    for (const [fields, message] of cases) {
      const response = await upload(fields);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toContain(message);
    }
    const notMultipart = await fetch(`${api.baseUrl}/api/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(notMultipart.status).toBe(400);
    expect(await gridFsCounts(api.app)).toEqual(before);
    expect(await api.app.get(VersionsService).exists(v('3'))).toBe(false);
  });

  it('lists newest first in dotted-number order and answers 404 for an unknown version', async () => {
    expect(
      (
        await upload([
          ['version', v('10')],
          ['file', randomBytes(10)],
        ])
      ).status,
    ).toBe(201);
    expect(
      (
        await upload([
          ['version', v('9')],
          ['file', randomBytes(10)],
        ])
      ).status,
    ).toBe(201);
    const items = await list();
    expect(items.map((item) => item.version)).toEqual([v('10'), v('9'), v('2'), v('1'), v('0.5')]);
    expect(items.map((item) => item.latest)).toEqual([true, false, false, false, false]);
    expect(Object.keys(items[0]).sort()).toEqual(['crc32', 'createdAt', 'createdBy', 'keyId', 'latest', 'sha256', 'signature', 'size', 'source', 'version']);

    const one = await fetch(`${api.baseUrl}/api/versions/${v('9')}`);
    expect(await one.json()).toMatchObject({ version: v('9'), size: 10, latest: false });
    expect((await fetch(`${api.baseUrl}/api/versions/${v('77')}`)).status).toBe(404);
    expect((await fetch(`${api.baseUrl}/api/versions/${v('77')}/content`)).status).toBe(404);
    expect((await fetch(`${api.baseUrl}/api/versions/x.y`)).status).toBe(400);
  });

  it('imports a file dropped into RESOURCES_DIR as the new latest, ignores other names, and announces it', async () => {
    const image = randomBytes(100_000);
    await writeFile(join(resourcesDir, 'notes.txt'), 'not an image');
    await writeFile(join(resourcesDir, v('11')), image);
    await writeFile(join(resourcesDir, `${v('1')}.bin`), randomBytes(10)); // exists already: skipped

    const latest = await eventually(async () => {
      const [first] = await list();
      expect(first.version).toBe(v('11'));
      return first;
    });
    expect(latest).toMatchObject({ latest: true, source: 'resources', createdBy: null, size: image.length, sha256: sha256(image) });
    const bytes = Buffer.from(await (await fetch(`${api.baseUrl}/api/versions/${v('11')}/content`)).arrayBuffer());
    expect(bytes.equals(image)).toBe(true);
    await eventually(async () => expect(latestSeen).toContain(v('11')));
    // The existing version kept its content.
    expect((await list()).find((item) => item.version === v('1'))?.size).toBe(3 * 1024 * 1024);
  });

  it('never imports a symbolic link (to a .env, say): only regular files, the rest counted', async () => {
    const secretDir = await mkdtemp(join(tmpdir(), 'um-secret-'));
    const secret = join(secretDir, '.env');
    await writeFile(secret, 'JWT_SECRET=not-for-gateways');
    await symlink(secret, join(resourcesDir, v('12')));
    await eventually(async () => {
      const metrics = await (await fetch(`${api.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^um_version_rejections_total\{source="resources",reason="not-a-file"\} 1$/m);
    });
    expect((await list()).map((item) => item.version)).not.toContain(v('12'));
    await rm(join(resourcesDir, v('12')));
    await rm(secretDir, { recursive: true, force: true });
  });

  it('deletes a version with its image and its resources file, and announces the new latest', async () => {
    const before = await gridFsCounts(api.app);
    latestSeen.length = 0;
    const response = await fetch(`${api.baseUrl}/api/versions/${v('11')}`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect((await fetch(`${api.baseUrl}/api/versions/${v('11')}`)).status).toBe(404);
    expect(await gridFsCounts(api.app)).toEqual({ files: before.files - 1, chunks: before.chunks - 1 });
    expect(existsSync(join(resourcesDir, v('11')))).toBe(false);
    expect((await list())[0]).toMatchObject({ version: v('10'), latest: true });
    await eventually(async () => expect(latestSeen).toContain(v('10')));
    expect((await fetch(`${api.baseUrl}/api/versions/${v('11')}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('records version.added and version.removed in the event log and counts in metrics', async () => {
    const db = api.app.get<Connection>(getConnectionToken()).db;
    if (!db) throw new Error('not connected');
    const events = await db
      .collection('events')
      .find({ type: { $in: ['version.added', 'version.removed'] } })
      .toArray();
    const added = events.filter((event) => event['type'] === 'version.added').map((event) => (event['details'] as { version: string }).version);
    expect(added.sort()).toEqual([v('0.5'), v('1'), v('10'), v('11'), v('2'), v('9')].sort());
    expect(events.find((event) => event['type'] === 'version.removed')).toMatchObject({ details: { version: v('11') }, actor: { userId: 'development' } });

    const metrics = await (await fetch(`${api.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^um_version_uploads_total 4$/m);
    expect(metrics).toMatch(/^um_version_imports_total 2$/m);
    expect(metrics).toMatch(/^um_version_rejections_total\{source="upload",reason="duplicate"\} 3$/m);
    expect(metrics).toMatch(/^um_version_rejections_total\{source="resources",reason="invalid-name"\} 1$/m);
  });
});
