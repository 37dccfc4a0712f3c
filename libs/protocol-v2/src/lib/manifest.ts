import { isValidVersion } from '@upgrade-manager/frame-codec';
import { base64Of, field, integerIn, invalid, readJsonObject, SHA256_HEX, stringMatching, TOKEN } from './json-fields';
import { ED25519_SIGNATURE_BYTES, MAX_CHUNK_COUNT, MAX_CHUNK_SIZE, MAX_IMAGE_SIZE, MIN_CHUNK_SIZE } from './limits';

/** What a signature vouches for: the image, independent of any deployment or chunk size. */
export interface Manifest {
  version: string;
  /** Image size in bytes. */
  size: number;
  /** SHA-256 of the whole image, 64 lowercase hex digits. */
  sha256: string;
  /** Id of the Ed25519 key that signed it. */
  keyId: string;
}

/** Upgrade Offer (cloud → gateway): the signed manifest and how this deployment delivers it. */
export interface Offer extends Manifest {
  deploymentId: string;
  chunkSize: number;
  chunkCount: number;
  /** Ed25519 signature of `canonicalManifest(manifest)`, 64 bytes. */
  signature: Buffer;
  /** True when the chunks are also streamed once on the image's shared topic. */
  shared: boolean;
}

export const MANIFEST_HEADER = 'UPGRADE-MANAGER-MANIFEST-V2';

export function chunkCountOf(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

function checkManifest(manifest: Manifest): void {
  if (!isValidVersion(manifest.version)) throw invalid('version', 'must be a dotted number');
  integerIn(manifest.size, 'size', 1, MAX_IMAGE_SIZE);
  stringMatching(manifest.sha256, 'sha256', SHA256_HEX, '64 lowercase hex digits');
  stringMatching(manifest.keyId, 'keyId', TOKEN, '1..64 of A-Z a-z 0-9 . _ -');
}

/**
 * The exact bytes that are signed: five lines of ASCII, each ending in "\n":
 * `UPGRADE-MANAGER-MANIFEST-V2`, `version:<v>`, `size:<decimal>`, `sha256:<hex>`, `keyId:<id>`.
 */
export function canonicalManifest(manifest: Manifest): Buffer {
  checkManifest(manifest);
  const lines = [MANIFEST_HEADER, `version:${manifest.version}`, `size:${manifest.size}`, `sha256:${manifest.sha256}`, `keyId:${manifest.keyId}`];
  return Buffer.from(lines.map((line) => `${line}\n`).join(''), 'ascii');
}

/** The offer's JSON, fields in the documented order. */
export function encodeOffer(offer: Offer): Buffer {
  checkManifest(offer);
  stringMatching(offer.deploymentId, 'deploymentId', TOKEN, '1..64 of A-Z a-z 0-9 . _ -');
  integerIn(offer.chunkSize, 'chunkSize', MIN_CHUNK_SIZE, MAX_CHUNK_SIZE);
  if (offer.chunkCount !== chunkCountOf(offer.size, offer.chunkSize)) throw invalid('chunkCount', 'must be ceil(size / chunkSize)');
  if (offer.signature.byteLength !== ED25519_SIGNATURE_BYTES) throw invalid('signature', `must be ${ED25519_SIGNATURE_BYTES} bytes`);
  return Buffer.from(
    JSON.stringify({
      deploymentId: offer.deploymentId,
      version: offer.version,
      size: offer.size,
      sha256: offer.sha256,
      chunkSize: offer.chunkSize,
      chunkCount: offer.chunkCount,
      keyId: offer.keyId,
      signature: offer.signature.toString('base64'),
      shared: offer.shared,
    }),
    'utf8',
  );
}

/** Parses and checks an offer. Unknown fields are ignored (later revisions may add some). */
export function decodeOffer(payload: Uint8Array): Offer {
  const fields = readJsonObject(payload);
  const version = field(fields, 'version');
  if (typeof version !== 'string' || !isValidVersion(version)) throw invalid('version', 'must be a dotted-number string');
  const size = integerIn(field(fields, 'size'), 'size', 1, MAX_IMAGE_SIZE);
  const chunkSize = integerIn(field(fields, 'chunkSize'), 'chunkSize', MIN_CHUNK_SIZE, MAX_CHUNK_SIZE);
  const chunkCount = integerIn(field(fields, 'chunkCount'), 'chunkCount', 1, MAX_CHUNK_COUNT);
  if (chunkCount !== chunkCountOf(size, chunkSize)) throw invalid('chunkCount', 'must be ceil(size / chunkSize)');
  const shared = Object.hasOwn(fields, 'shared') ? fields['shared'] : false;
  if (typeof shared !== 'boolean') throw invalid('shared', 'must be true or false');
  return {
    deploymentId: stringMatching(field(fields, 'deploymentId'), 'deploymentId', TOKEN, '1..64 of A-Z a-z 0-9 . _ -'),
    version,
    size,
    sha256: stringMatching(field(fields, 'sha256'), 'sha256', SHA256_HEX, '64 lowercase hex digits'),
    chunkSize,
    chunkCount,
    keyId: stringMatching(field(fields, 'keyId'), 'keyId', TOKEN, '1..64 of A-Z a-z 0-9 . _ -'),
    signature: base64Of(field(fields, 'signature'), 'signature', ED25519_SIGNATURE_BYTES),
    shared,
  };
}

export function manifestOf(offer: Manifest): Manifest {
  return { version: offer.version, size: offer.size, sha256: offer.sha256, keyId: offer.keyId };
}
