import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  backupWithDriver,
  BackupError,
  databaseNameOf,
  dropDatabase,
  isDatabaseEmpty,
  type Log,
  prepareBackupDirectory,
  readManifest,
  restoreWithDriver,
  writeManifest,
} from './database-backup';
import { hasMongoTool, mongodump, mongorestore } from './mongo-tools';

export interface BackupOptions {
  force?: boolean;
  // Use the driver even when the MongoDB database tools are installed.
  driver?: boolean;
}

/** `db:backup <dir>`: the whole database, GridFS images included. */
export async function backupCommand(mongoUrl: string, dir: string, options: BackupOptions, log: Log): Promise<void> {
  await prepareBackupDirectory(dir, options.force ?? false);
  const database = databaseNameOf(mongoUrl);
  if (!options.driver && hasMongoTool('mongodump')) {
    log(`Backing up database ${database} with mongodump into ${dir}`);
    mongodump(mongoUrl, dir, log);
    const files = await readdir(join(dir, database)).catch(() => [] as string[]);
    const collections = files.filter((file) => file.endsWith('.bson')).map((file) => ({ name: file.slice(0, -'.bson'.length) }));
    await writeManifest(dir, { format: 'upgrade-manager-backup', version: 1, tool: 'mongodump', database, createdAt: new Date().toISOString(), collections });
  } else {
    log(`Backing up database ${database} with the driver into ${dir}`);
    await backupWithDriver(mongoUrl, dir, log);
  }
  log('Backup complete.');
}

/** `db:restore <dir>`: into an empty database only, unless --force (which drops the database first). */
export async function restoreCommand(mongoUrl: string, dir: string, options: BackupOptions, log: Log): Promise<void> {
  const manifest = await readManifest(dir);
  const database = databaseNameOf(mongoUrl);
  if (!(await isDatabaseEmpty(mongoUrl))) {
    if (!options.force) throw new BackupError(`Database ${database} is not empty; restore into an empty database, or pass --force to drop it first`);
    log(`Dropping database ${database} (--force)`);
    await dropDatabase(mongoUrl);
  }
  if (!options.driver && hasMongoTool('mongorestore')) {
    log(`Restoring ${manifest.database} (backup of ${manifest.createdAt}) into ${database} with mongorestore`);
    mongorestore(mongoUrl, dir, manifest.database, log);
  } else {
    log(`Restoring ${manifest.database} (backup of ${manifest.createdAt}) into ${database} with the driver`);
    await restoreWithDriver(mongoUrl, dir, log);
  }
  log('Restore complete. Restart the API if it is running.');
}
