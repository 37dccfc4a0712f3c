import { isValidVersion } from '@upgrade-manager/frame-codec';
import { keyIdOf, signManifest, trustedKeyLine } from '@upgrade-manager/protocol-v2';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createSigningKeyFile, readSigningKeyFile, signingKeyPath } from '../image-signing/signing-key-file';

type Log = (line: string) => void;

export class KeysCommandError extends Error {
  override readonly name = 'KeysCommandError';
}

/** The key file: --file, else SIGNING_KEY_FILE, else `<DATA_DIR>/keys/manifest-signing.pem`. */
export function keyFileOf(file: string | undefined, env: NodeJS.ProcessEnv): string {
  return signingKeyPath(file ?? env['SIGNING_KEY_FILE'], env['DATA_DIR'] || '.data');
}

/** `keys create`: a new Ed25519 key (mode 0600), never overwriting one; prints its trusted-keys line. */
export function createKeyCommand(path: string, log: Log): void {
  if (existsSync(path))
    throw new KeysCommandError(`${path} exists already; move it away first to make a new key (rotation: keep its public key in TRUSTED_KEYS_FILE)`);
  const key = createSigningKeyFile(path);
  log(`Created ${path} (mode 0600, key id ${keyIdOf(key)}). Keep it secret and out of the repository.`);
  log('Trusted-keys line for gateways (npm run keys -- public prints it again):');
  log(trustedKeyLine(key));
}

/** `keys public`: the line gateways put into their trusted-keys file. */
export function publicKeyCommand(path: string, log: Log): void {
  if (!existsSync(path)) throw new KeysCommandError(`${path} does not exist: the API creates it on first start, or run \`npm run keys -- create\``);
  log(trustedKeyLine(readSigningKeyFile(path)));
}

/** `keys sign <image> --version V`: a detached signature to upload with POST /api/versions. */
export async function signImageCommand(path: string, image: string, version: string, log: Log): Promise<void> {
  if (!isValidVersion(version)) throw new KeysCommandError(`--version must be a dotted number such as 1.2, got ${JSON.stringify(version)}`);
  const key = readSigningKeyFile(path);
  const hash = createHash('sha256');
  await pipeline(createReadStream(image), hash);
  const manifest = { version, size: statSync(image).size, sha256: hash.digest('hex'), keyId: keyIdOf(key) };
  log(JSON.stringify({ ...manifest, signature: signManifest(manifest, key).toString('base64') }));
}
