import { generateSigningKey, parseTrustedKeys, privateKeyFromPem } from '@upgrade-manager/protocol-v2';
import type { KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const DEFAULT_SIGNING_KEY_NAME = join('keys', 'manifest-signing.pem');

/** SIGNING_KEY_FILE, or `<DATA_DIR>/keys/manifest-signing.pem`. */
export function signingKeyPath(signingKeyFile: string | undefined, dataDir: string): string {
  return resolve(signingKeyFile || join(dataDir, DEFAULT_SIGNING_KEY_NAME));
}

/** Writes a new Ed25519 private key (PKCS#8 PEM) with mode 0600; refuses to overwrite one. */
export function createSigningKeyFile(path: string): KeyObject {
  const key = generateSigningKey();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, key.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  // The umask may have narrowed the mode further but never widens it; make it exact.
  chmodSync(path, 0o600);
  return key;
}

export class SigningKeyFileError extends Error {
  override readonly name = 'SigningKeyFileError';
}

/** Reads the private key; refuses a file that others than its owner may read. */
export function readSigningKeyFile(path: string): KeyObject {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new SigningKeyFileError(`${path} is readable by others (mode ${mode.toString(8)}): chmod 600 it, the key signs what gateways install`);
  }
  try {
    return privateKeyFromPem(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SigningKeyFileError(`${path} is not an Ed25519 private key in PEM: ${(error as Error).message}`);
  }
}

/** The existing key, or a new one created now. */
export function loadOrCreateSigningKey(path: string): { key: KeyObject; created: boolean } {
  try {
    return { key: readSigningKeyFile(path), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    return { key: createSigningKeyFile(path), created: true };
  } catch (error) {
    // Another process created it at the same instant.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { key: readSigningKeyFile(path), created: false };
    throw error;
  }
}

/** TRUSTED_KEYS_FILE: extra public keys (`<keyId> <base64>` lines) whose detached signatures are accepted. */
export function readTrustedKeysFile(path: string | undefined): Map<string, KeyObject> {
  if (!path) return new Map();
  try {
    return parseTrustedKeys(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SigningKeyFileError(`TRUSTED_KEYS_FILE ${path}: ${(error as Error).message}`);
  }
}
