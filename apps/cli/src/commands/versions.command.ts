import type { VersionDto } from '@upgrade-manager/dto';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { type CliIo, contextOf } from '../cli-io';
import { CliError } from '../exit-codes';
import { note, printJson, printTable } from '../output';
import { formatBytes, progressBar } from '../progress';
import { uploadVersion } from '../version-upload';

// Form fields of a detached signature; they follow the API's names once signed uploads land (protocol v2).
export const SIGNATURE_FIELDS = { signature: 'signature', keyId: 'keyId' } as const;

interface UploadOptions {
  version: string;
  signature?: string;
  keyId?: string;
}

function versionRows(versions: VersionDto[]) {
  return versions.map((version) => [
    version.version,
    version.latest ? 'yes' : '',
    version.size,
    version.sha256.slice(0, 16),
    version.source,
    version.createdAt,
  ]);
}

export function registerVersionCommands(program: Command, io: CliIo): void {
  const versions = program.command('versions').description('software images');

  versions
    .command('list')
    .description('every version, newest first')
    .action(async (_options: unknown, command: Command) => {
      const { api, output } = contextOf(command, io);
      const list = await api.listVersions();
      if (output.json) printJson(output, list);
      else printTable(output, ['VERSION', 'LATEST', 'BYTES', 'SHA256', 'SOURCE', 'CREATED'], versionRows(list.items));
    });

  versions
    .command('upload')
    .description('upload an image as a new version (super users); announced to every gateway at once')
    .argument('<file>', 'the image file')
    .requiredOption('--version <version>', 'its version, dotted numbers such as 1.2')
    .option('--signature <file>', 'a detached signature of the image: a file of the 64 raw bytes or their base64 text')
    .option('--key-id <id>', 'id of the key the signature was made with')
    .action(async (file: string, options: UploadOptions, command: Command) => {
      const { api, output } = contextOf(command, io);
      if ((options.signature === undefined) !== (options.keyId === undefined)) throw new CliError('--signature and --key-id go together.');
      const fields: Record<string, string> = {};
      if (options.signature !== undefined && options.keyId !== undefined) {
        fields[SIGNATURE_FIELDS.signature] = readSignature(options.signature);
        fields[SIGNATURE_FIELDS.keyId] = options.keyId;
      }
      const bar = progressBar(output.stderr, `Uploading ${options.version} {bar} {percentage}% | {sent} of {size}`);
      let created: VersionDto;
      try {
        created = await uploadVersion(api, {
          file,
          version: options.version,
          fields,
          onProgress: (sent, size) => bar.update(sent, size, { sent: formatBytes(sent), size: formatBytes(size) }),
        });
      } finally {
        bar.stop();
      }
      if (output.json) printJson(output, created);
      else
        note(output, `Uploaded ${created.version}: ${formatBytes(created.size)}, sha256 ${created.sha256}${created.latest ? ', now the latest version' : ''}.`);
    });

  versions
    .command('delete')
    .description('delete a version and its image (super users)')
    .argument('<version>')
    .action(async (version: string, _options: unknown, command: Command) => {
      const { api, output } = contextOf(command, io);
      await api.deleteVersion(version);
      if (output.json) printJson(output, { deleted: version });
      else note(output, `Deleted ${version}.`);
    });
}

// An Ed25519 signature is 64 bytes; a file of that size holds it raw, anything else its base64 text.
const RAW_SIGNATURE_BYTES = 64;

/** The signature as the API takes it (base64), from a file holding it raw or as base64 text. */
export function readSignature(file: string): string {
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (error) {
    throw new CliError(`Cannot read the signature ${file}: ${(error as Error).message}`);
  }
  return content.length === RAW_SIGNATURE_BYTES ? content.toString('base64') : content.toString('utf8').trim();
}
