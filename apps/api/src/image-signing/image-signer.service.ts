import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { keyIdOf, signManifest, verifyManifest, type Manifest } from '@upgrade-manager/protocol-v2';
import type { KeyObject } from 'node:crypto';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { AppConfigService } from '../config/app-config.service';
import { loadOrCreateSigningKey, readTrustedKeysFile, signingKeyPath } from './signing-key-file';

export interface ManifestSignature {
  keyId: string;
  /** Base64 of the 64-byte Ed25519 signature. */
  signature: string;
}

/**
 * Signs image manifests with the server's Ed25519 key (a file outside the repository and the
 * database) and verifies detached signatures against the trusted keys: the server's own and
 * those of TRUSTED_KEYS_FILE (a release pipeline's, older keys during a rotation).
 */
@Injectable()
export class ImageSigner implements OnModuleInit {
  private readonly logger = new Logger(ImageSigner.name);
  private signingKey!: KeyObject;
  private serverKeyId!: string;
  private trusted = new Map<string, KeyObject>();

  constructor(private readonly config: AppConfigService) {}

  onModuleInit(): void {
    const path = signingKeyPath(this.config.get('SIGNING_KEY_FILE'), this.config.get('DATA_DIR'));
    const { key, created } = loadOrCreateSigningKey(path);
    this.signingKey = key;
    this.serverKeyId = keyIdOf(key);
    if (created)
      this.logger.warn(`Created the manifest signing key ${path} (key id ${this.serverKeyId}); give gateways its public key: npm run keys -- public`);
    this.trusted = readTrustedKeysFile(this.config.get('TRUSTED_KEYS_FILE'));
    this.trusted.set(this.serverKeyId, key);
    this.logger.log(`Signing manifests with key ${this.serverKeyId}; trusted key ids: ${[...this.trusted.keys()].join(', ')}`);
  }

  get keyId(): string {
    return this.serverKeyId;
  }

  /** Signs with the server's key; the manifest's keyId is set to it. */
  sign(image: Omit<Manifest, 'keyId'>): ManifestSignature {
    const manifest = { ...image, keyId: this.serverKeyId };
    return { keyId: this.serverKeyId, signature: signManifest(manifest, this.signingKey).toString('base64') };
  }

  /** Throws a 400-class DomainError unless `signature` verifies with the trusted key `keyId`. */
  assertValid(image: Omit<Manifest, 'keyId'>, detached: ManifestSignature): void {
    const publicKey = this.trusted.get(detached.keyId);
    if (!publicKey) {
      throw new DomainError(
        DomainErrorCode.INVALID_INPUT,
        `Unknown signing key id ${JSON.stringify(detached.keyId)}: add its public key to TRUSTED_KEYS_FILE`,
        {
          keyId: detached.keyId,
        },
      );
    }
    const signature = Buffer.from(detached.signature, 'base64');
    if (signature.toString('base64') !== detached.signature || !verifyManifest({ ...image, keyId: detached.keyId }, signature, publicKey)) {
      throw new DomainError(
        DomainErrorCode.INVALID_INPUT,
        `The signature does not verify with key ${detached.keyId} for version ${image.version} (${image.size} bytes, sha256 ${image.sha256})`,
        { keyId: detached.keyId },
      );
    }
  }
}
