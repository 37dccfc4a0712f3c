import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Command } from 'commander';
import { DomainError } from '../common/domain.error';
import { backupCommand, restoreCommand } from './backup.commands';
import { BootstrapDataService, type Credentials } from './bootstrap-data.service';
import { CliModule } from './cli.module';
import { BackupError } from './database-backup';
import { createKeyCommand, keyFileOf, KeysCommandError, publicKeyCommand, signImageCommand } from './keys.commands';
import { SigningKeyFileError } from '../image-signing/signing-key-file';

// Operator commands: `npm run init-app`, `sample-companies`, `db:backup`, `db:restore` (see tools/scripts/api-cli.mjs).

const log = (line: string) => console.log(line);
const DEFAULT_MONGO_URL = 'mongodb://127.0.0.1:27017/upgrade-manager';

class UsageError extends Error {}

async function withContext<T>(work: (bootstrap: BootstrapDataService) => Promise<T>): Promise<T> {
  let context: INestApplicationContext | undefined;
  try {
    context = await NestFactory.createApplicationContext(CliModule, { logger: ['error', 'warn'] });
    return await work(context.get(BootstrapDataService));
  } finally {
    await context?.close();
  }
}

function printCredentials(title: string, credentials: Credentials[]): void {
  log(`\n${title}`);
  for (const entry of credentials) {
    const password = entry.password ?? (entry.role === 'super' ? '(from ADMIN_PASSWORD)' : '(account existed: password unchanged)');
    log(`  company ${entry.companyId.padEnd(3)} ${entry.role.padEnd(6)} ${entry.email.padEnd(34)} ${password}`);
  }
  if (credentials.some((entry) => entry.generated)) log('Generated passwords are shown only this once: note them now.\n');
}

const program = new Command('upgrade-manager').description('Upgrade Manager operator commands').showHelpAfterError().exitOverride();

program
  .command('init')
  .description('Initialise the database: super company "1" and the super user (ADMIN_EMAIL / ADMIN_PASSWORD)')
  .option('--yes-wipe-everything', 'drop the whole database first (required unless --if-empty)')
  .option('--if-empty', 'only when the database has no user yet; never wipes (used by npm start)')
  .action(async (options: { yesWipeEverything?: boolean; ifEmpty?: boolean }) => {
    if (!options.yesWipeEverything && !options.ifEmpty) {
      throw new UsageError('init wipes the whole database. Run `npm run init-app -- --yes-wipe-everything` to confirm.');
    }
    await withContext(async (bootstrap) => {
      if (options.ifEmpty && !options.yesWipeEverything) {
        if (await bootstrap.hasUsers()) {
          log('Database already initialised.');
          return;
        }
        log('Empty database: creating the super company and the super user.');
      } else {
        log('Wiping the database...');
        await bootstrap.wipe();
      }
      printCredentials('Super user:', [await bootstrap.createSuperUser()]);
    });
  });

program
  .command('sample-companies')
  .description('Add sample companies "2" and "3", each with an admin and a user')
  .action(async () => {
    await withContext(async (bootstrap) => printCredentials('Sample accounts:', await bootstrap.addSampleCompanies()));
  });

program
  .command('backup')
  .description('Back up the whole database (GridFS images included) into an empty directory')
  .argument('<dir>', 'target directory')
  .option('--force', 'write into a non-empty directory')
  .option('--driver', 'use the MongoDB driver even when mongodump is installed')
  .action(async (dir: string, options: { force?: boolean; driver?: boolean }) => {
    await backupCommand(process.env['MONGO_URL'] || DEFAULT_MONGO_URL, dir, options, log);
  });

program
  .command('restore')
  .description('Restore a backup into an empty database')
  .argument('<dir>', 'directory written by backup')
  .option('--force', 'drop a non-empty database first')
  .option('--driver', 'use the MongoDB driver even when mongorestore is installed')
  .action(async (dir: string, options: { force?: boolean; driver?: boolean }) => {
    await restoreCommand(process.env['MONGO_URL'] || DEFAULT_MONGO_URL, dir, options, log);
  });

const keys = program.command('keys').description('The Ed25519 key that signs image manifests (protocol v2, docs/protocol-v2.md)');
keys
  .command('create')
  .description('Create a new signing key file with mode 0600 (default: SIGNING_KEY_FILE or $DATA_DIR/keys/manifest-signing.pem)')
  .option('--file <path>', 'key file to create')
  .action((options: { file?: string }) => createKeyCommand(keyFileOf(options.file, process.env), log));
keys
  .command('public')
  .description("Print the key's trusted-keys line for gateways: <keyId> <base64 public key>")
  .option('--file <path>', 'key file to read')
  .action((options: { file?: string }) => publicKeyCommand(keyFileOf(options.file, process.env), log));
keys
  .command('sign')
  .description('Print a detached signature of an image, to upload with POST /api/versions (fields signature, keyId)')
  .argument('<image>', 'image file')
  .requiredOption('--version <version>', 'the version the image will be uploaded as')
  .option('--file <path>', 'key file to sign with')
  .action((image: string, options: { version: string; file?: string }) => signImageCommand(keyFileOf(options.file, process.env), image, options.version, log));

program.parseAsync(process.argv).then(
  () => process.exit(0),
  (error: unknown) => {
    const commanderExit = (error as { code?: string; exitCode?: number }).code?.startsWith('commander.');
    if (commanderExit) process.exit((error as { exitCode?: number }).exitCode ?? 2);
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exit(2);
    }
    const expected = error instanceof BackupError || error instanceof DomainError || error instanceof KeysCommandError || error instanceof SigningKeyFileError;
    console.error(expected ? (error as Error).message : error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
