import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mongo } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PasswordHasher } from '../users/password-hasher.service';
import { UsersService } from '../users/users.service';
import { backupCommand, restoreCommand } from './backup.commands';
import type { BootstrapDataService } from './bootstrap-data.service';

const { BSON, GridFSBucket, MongoClient } = mongo;

function databaseUrl(name: string): string {
  const url = new URL(process.env['MONGO_URL'] ?? 'mongodb://127.0.0.1:27017/upgrade-manager');
  url.pathname = `/${name}`;
  return url.toString();
}

async function download(db: mongo.Db, filename: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of new GridFSBucket(db, { bucketName: 'images' }).openDownloadStreamByName(filename)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function upload(db: mongo.Db, filename: string, content: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const stream = new GridFSBucket(db, { bucketName: 'images' }).openUploadStream(filename, { metadata: { version: filename } });
    stream.once('finish', () => resolve());
    stream.once('error', reject);
    stream.end(content);
  });
}

/** Every document of every collection, in canonical Extended JSON (types included), sorted by _id. */
async function snapshot(db: mongo.Db): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const { name } of await db.listCollections().toArray()) {
    const documents = await db.collection(name).find({}, { promoteValues: false }).sort({ _id: 1 }).toArray();
    result[name] = documents.map((document) => BSON.EJSON.stringify(document, { relaxed: false }));
  }
  return result;
}

describe('operator commands: init, sample companies, backup and restore (real database)', () => {
  const suffix = randomBytes(4).toString('hex');
  const sourceUrl = databaseUrl(`um-test-cli-${suffix}`);
  const targetUrl = databaseUrl(`um-test-cli-restored-${suffix}`);
  const log = jest.fn();
  let context: INestApplicationContext;
  let bootstrap: BootstrapDataService;
  let client: mongo.MongoClient;
  let backupDir: string;

  beforeAll(async () => {
    Object.assign(process.env, { MONGO_URL: sourceUrl, ADMIN_EMAIL: `root-${suffix}@example.com`, ADMIN_PASSWORD: '' });
    const { CliModule } = await import('./cli.module');
    const { BootstrapDataService } = await import('./bootstrap-data.service');
    context = await NestFactory.createApplicationContext(CliModule, { logger: false });
    bootstrap = context.get(BootstrapDataService);
    client = await new MongoClient(sourceUrl).connect();
    backupDir = await mkdtemp(join(tmpdir(), 'um-backup-'));
  });

  afterAll(async () => {
    await context?.close();
    await client
      ?.db(new URL(sourceUrl).pathname.slice(1))
      .dropDatabase()
      .catch(() => undefined);
    await client
      ?.db(new URL(targetUrl).pathname.slice(1))
      .dropDatabase()
      .catch(() => undefined);
    await client?.close();
    if (backupDir) await rm(backupDir, { recursive: true, force: true });
  });

  it('init wipes the database, then creates company "1" and the super user with a password printed once', async () => {
    await client.db().collection('gateways').insertOne({ gatewayId: 'left-over' });
    await bootstrap.wipe();
    expect(await client.db().collection('gateways').countDocuments()).toBe(0);
    expect(await bootstrap.hasUsers()).toBe(false);

    const credentials = await bootstrap.createSuperUser();
    expect(credentials).toMatchObject({ companyId: '1', role: 'super', email: `root-${suffix}@example.com`, generated: true });
    expect(credentials.password).toMatch(/^[\w-]{20}$/);
    const stored = await context.get(UsersService).findForLogin(credentials.email);
    expect(stored).toMatchObject({ role: 'super', companyId: '1', enabled: true });
    expect(await context.get(PasswordHasher).verify(stored?.passwordHash, credentials.password ?? '')).toBe(true);
    expect(await client.db().collection('companies').findOne({ companyId: '1' })).toMatchObject({ name: 'Super' });
    expect(await bootstrap.hasUsers()).toBe(true);
  });

  it('adds companies "2" and "3" with an admin and a user each, and leaves them alone the second time', async () => {
    const first = await bootstrap.addSampleCompanies();
    expect(first.map(({ companyId, role, generated }) => [companyId, role, generated])).toEqual([
      ['2', 'admin', true],
      ['2', 'user', true],
      ['3', 'admin', true],
      ['3', 'user', true],
    ]);
    const hasher = context.get(PasswordHasher);
    for (const account of first) {
      const stored = await context.get(UsersService).findForLogin(account.email);
      expect(stored).toMatchObject({ role: account.role, companyId: account.companyId });
      expect(await hasher.verify(stored?.passwordHash, account.password ?? '')).toBe(true);
    }
    const second = await bootstrap.addSampleCompanies();
    expect(second.every((account) => account.password === null && !account.generated)).toBe(true);
    expect(await client.db().collection('users').countDocuments()).toBe(5);
  });

  it('backs up and restores into an empty database: same documents (BSON types kept) and byte-identical GridFS images', async () => {
    const db = client.db();
    await db.collection('gateways').insertMany([
      {
        gatewayId: 'gw-a',
        companyId: '2',
        version: '1.0',
        latitude: new BSON.Double(5),
        port: new BSON.Int32(7),
        counter: BSON.Long.fromString('9007199254740993'),
        lastSeen: new Date('2026-01-02T03:04:05.678Z'),
      },
      {
        gatewayId: 'gw-b',
        companyId: '3',
        enabled: false,
        address: null,
        raw: new BSON.Binary(Buffer.from([0, 255, 1, 254]), 0),
        nested: { list: [1, 'two', { three: 3.5 }] },
      },
    ]);
    const large = randomBytes(1024 * 1024 + 12345);
    const small = Buffer.from('1.2.3');
    await upload(db, '2.0', large);
    await upload(db, '1.2.3', small);
    const before = await snapshot(db);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['users', 'companies', 'events', 'gateways', 'images.files', 'images.chunks']));

    await backupCommand(sourceUrl, backupDir, { driver: true }, log);
    await restoreCommand(targetUrl, backupDir, { driver: true }, log);

    const restored = client.db(new URL(targetUrl).pathname.slice(1));
    expect(await snapshot(restored)).toEqual(before);
    expect((await download(restored, '2.0')).equals(large)).toBe(true);
    expect((await download(restored, '1.2.3')).equals(small)).toBe(true);
    const emailIndex = (await restored.collection('users').indexes()).find((index) => index.key['email'] === 1);
    expect(emailIndex?.unique).toBe(true);
  });

  it('refuses to restore into a non-empty database unless forced, and to back up into a non-empty directory', async () => {
    await expect(restoreCommand(targetUrl, backupDir, { driver: true }, log)).rejects.toThrow(/not empty.*--force/);
    await restoreCommand(targetUrl, backupDir, { driver: true, force: true }, log);
    expect(await client.db(new URL(targetUrl).pathname.slice(1)).collection('users').countDocuments()).toBe(5);

    await expect(backupCommand(sourceUrl, backupDir, { driver: true }, log)).rejects.toThrow(/not empty/);
    const notABackup = await mkdtemp(join(tmpdir(), 'um-not-backup-'));
    await writeFile(join(notABackup, 'x.txt'), 'x');
    await expect(restoreCommand(targetUrl, notABackup, { driver: true, force: true }, log)).rejects.toThrow(/manifest\.json/);
    await rm(notABackup, { recursive: true, force: true });
  });
});
