import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { TOKEN } from './json-fields';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from './limits';
import { canonicalManifest, type Manifest } from './manifest';

/** A public key a gateway (or the server) trusts, by id. */
export interface TrustedKey {
  keyId: string;
  publicKey: KeyObject;
}

export type TrustedKeys = ReadonlyMap<string, KeyObject>;

/** The 32 raw bytes of an Ed25519 public key. */
export function rawPublicKey(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Error('not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url');
}

export function publicKeyFromRaw(raw: Buffer): KeyObject {
  if (raw.byteLength !== ED25519_PUBLIC_KEY_BYTES) throw new Error(`an Ed25519 public key has ${ED25519_PUBLIC_KEY_BYTES} bytes, got ${raw.byteLength}`);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/** The default key id: the first 16 hex digits of the SHA-256 of the raw public key. */
export function keyIdOf(key: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(key)).digest('hex').slice(0, 16);
}

export function generateSigningKey(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

export function privateKeyFromPem(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 private key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

export function signManifest(manifest: Manifest, privateKey: KeyObject): Buffer {
  return sign(null, canonicalManifest(manifest), privateKey);
}

/** True when `signature` is the Ed25519 signature of the canonical manifest by `publicKey`. */
export function verifyManifest(manifest: Manifest, signature: Buffer, publicKey: KeyObject): boolean {
  if (signature.byteLength !== ED25519_SIGNATURE_BYTES) return false;
  try {
    return verify(null, canonicalManifest(manifest), publicKey, signature);
  } catch {
    return false;
  }
}

/** One line of a trusted-keys file: `<keyId> <base64 of the 32 raw public key bytes>`. */
export function trustedKeyLine(key: KeyObject, keyId = keyIdOf(key)): string {
  return `${keyId} ${rawPublicKey(key).toString('base64')}`;
}

/**
 * A trusted-keys file: one key per line, `<keyId> <base64 raw key>` or just `<base64 raw key>`
 * (its id is then `keyIdOf`); blank lines and `#` comments are skipped. Throws on a bad line.
 */
export function parseTrustedKeys(text: string): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  text.split(/\r?\n/).forEach((line, index) => {
    const content = line.replace(/#.*/, '').trim();
    if (content === '') return;
    const parts = content.split(/\s+/);
    if (parts.length > 2) throw new Error(`trusted keys, line ${index + 1}: expected "<keyId> <base64 key>"`);
    const encoded = parts[parts.length - 1] ?? '';
    const raw = Buffer.from(encoded, 'base64');
    if (raw.toString('base64') !== encoded || raw.byteLength !== ED25519_PUBLIC_KEY_BYTES) {
      throw new Error(`trusted keys, line ${index + 1}: not the base64 of a ${ED25519_PUBLIC_KEY_BYTES}-byte Ed25519 key`);
    }
    const publicKey = publicKeyFromRaw(raw);
    const keyId = parts.length === 2 ? (parts[0] ?? '') : keyIdOf(publicKey);
    if (!TOKEN.test(keyId)) throw new Error(`trusted keys, line ${index + 1}: key id must be 1..64 of A-Z a-z 0-9 . _ -`);
    keys.set(keyId, publicKey);
  });
  return keys;
}
