import { mongo } from 'mongoose';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BsonDocumentSplitter } from './bson-documents';

const { BSON, MongoClient } = mongo;
type Db = mongo.Db;
type Document = mongo.Document;

// The directory layout is mongodump's (<dir>/<database>/<collection>.bson and .metadata.json),
// so a backup made by either tool restores with either; manifest.json names the source database.
export const MANIFEST_FILE = 'manifest.json';
const INSERT_BATCH_DOCUMENTS = 1000;
const INSERT_BATCH_BYTES = 8 * 1024 * 1024;

export interface BackupManifest {
  format: 'upgrade-manager-backup';
  version: 1;
  tool: 'driver' | 'mongodump';
  database: string;
  createdAt: string;
  // Document counts are known for driver backups only.
  collections: { name: string; documents?: number }[];
}

export type Log = (line: string) => void;

/** Raised for what the operator has to fix; the CLI prints the message alone. */
export class BackupError extends Error {
  override readonly name = 'BackupError';
}

async function withDatabase<T>(mongoUrl: string, work: (db: Db) => Promise<T>): Promise<T> {
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.connect();
    return await work(client.db());
  } finally {
    await client.close();
  }
}

export function databaseNameOf(mongoUrl: string): string {
  const name = new URL(mongoUrl.replace(/^mongodb(\+srv)?:/, 'http:')).pathname.replace(/^\//, '');
  if (!name) throw new BackupError('MONGO_URL names no database (expected mongodb://host:port/<database>)');
  return decodeURIComponent(name);
}

async function userCollections(db: Db): Promise<string[]> {
  const collections = await db.listCollections({}, { nameOnly: false }).toArray();
  return collections
    .filter((info) => (info.type ?? 'collection') === 'collection' && !info.name.startsWith('system.'))
    .map((info) => info.name)
    .sort();
}

/** Refuses to write into a directory that holds anything, unless forced. */
export async function prepareBackupDirectory(dir: string, force: boolean): Promise<void> {
  await mkdir(dir, { recursive: true });
  const entries = await readdir(dir);
  if (entries.length > 0 && !force) throw new BackupError(`${dir} is not empty; choose an empty directory or pass --force`);
}

export async function writeManifest(dir: string, manifest: BackupManifest): Promise<void> {
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

export async function readManifest(dir: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    throw new BackupError(`${dir} holds no ${MANIFEST_FILE}: not a backup made by db:backup`);
  }
  const manifest = JSON.parse(text) as BackupManifest;
  if (manifest.format !== 'upgrade-manager-backup' || manifest.version !== 1) throw new BackupError(`${dir}/${MANIFEST_FILE} is not a known backup format`);
  return manifest;
}

/** Copies every collection (GridFS files and chunks included) as raw BSON, byte for byte. */
export async function backupWithDriver(mongoUrl: string, dir: string, log: Log): Promise<BackupManifest> {
  return withDatabase(mongoUrl, async (db) => {
    const databaseDir = join(dir, db.databaseName);
    await mkdir(databaseDir, { recursive: true });
    const manifest: BackupManifest = {
      format: 'upgrade-manager-backup',
      version: 1,
      tool: 'driver',
      database: db.databaseName,
      createdAt: new Date().toISOString(),
      collections: [],
    };
    for (const name of await userCollections(db)) {
      const collection = db.collection(name);
      let documents = 0;
      const cursor = collection.find({}, { raw: true, batchSize: 100 });
      async function* rawDocuments(): AsyncGenerator<Buffer> {
        for await (const raw of cursor) {
          documents += 1;
          // The driver hands out views on its receive buffer; keep a copy of our own.
          yield Buffer.from(raw as unknown as Uint8Array);
        }
      }
      await pipeline(Readable.from(rawDocuments()), createWriteStream(join(databaseDir, `${name}.bson`)));
      const metadata = { indexes: await collection.indexes(), collectionName: name, type: 'collection' };
      await writeFile(join(databaseDir, `${name}.metadata.json`), BSON.EJSON.stringify(metadata, undefined, 2, { relaxed: false }));
      manifest.collections.push({ name, documents });
      log(`  ${name}: ${documents} document(s)`);
    }
    await writeManifest(dir, manifest);
    return manifest;
  });
}

/** True when the database holds no document in any collection. */
export async function isDatabaseEmpty(mongoUrl: string): Promise<boolean> {
  return withDatabase(mongoUrl, async (db) => {
    for (const name of await userCollections(db)) {
      if (await db.collection(name).findOne({}, { projection: { _id: 1 } })) return false;
    }
    return true;
  });
}

export async function dropDatabase(mongoUrl: string): Promise<void> {
  await withDatabase(mongoUrl, (db) => db.dropDatabase());
}

async function insertBatches(db: Db, name: string, file: string): Promise<number> {
  const collection = db.collection(name);
  let batch: Document[] = [];
  let batchBytes = 0;
  let inserted = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await collection.insertMany(batch, { ordered: true });
    inserted += batch.length;
    batch = [];
    batchBytes = 0;
  };
  for await (const raw of createReadStream(file).pipe(new BsonDocumentSplitter())) {
    const bytes = raw as Buffer;
    // Wrapped numbers (Int32, Double, Long) keep their BSON types when written back.
    batch.push(BSON.deserialize(bytes, { promoteValues: false, promoteBuffers: false, bsonRegExp: true }));
    batchBytes += bytes.length;
    if (batch.length >= INSERT_BATCH_DOCUMENTS || batchBytes >= INSERT_BATCH_BYTES) await flush();
  }
  await flush();
  return inserted;
}

interface IndexSpec {
  key: Document;
  name: string;
  v?: unknown;
  ns?: unknown;
  [option: string]: unknown;
}

async function restoreIndexes(db: Db, name: string, metadataFile: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(metadataFile, 'utf8');
  } catch {
    return;
  }
  const metadata = BSON.EJSON.parse(text, { relaxed: false }) as { indexes?: IndexSpec[] };
  for (const index of metadata.indexes ?? []) {
    if (index.name === '_id_') continue;
    const { key, v: _version, ns: _namespace, ...options } = index;
    await db.collection(name).createIndex(key, options as mongo.CreateIndexesOptions);
  }
}

/** Restores a backup made by db:backup (either tool) into the database of mongoUrl. */
export async function restoreWithDriver(mongoUrl: string, dir: string, log: Log): Promise<void> {
  const manifest = await readManifest(dir);
  const sourceDir = join(dir, manifest.database);
  const files = await readdir(sourceDir);
  const names = files
    .filter((file) => file.endsWith('.bson'))
    .map((file) => file.slice(0, -'.bson'.length))
    .sort();
  await withDatabase(mongoUrl, async (db) => {
    for (const name of names) {
      await db.createCollection(name).catch((error: { codeName?: string }) => {
        if (error.codeName !== 'NamespaceExists') throw error;
      });
      const inserted = await insertBatches(db, name, join(sourceDir, `${name}.bson`));
      await restoreIndexes(db, name, join(sourceDir, `${name}.metadata.json`));
      log(`  ${name}: ${inserted} document(s)`);
    }
  });
}
