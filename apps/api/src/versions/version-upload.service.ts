import { Injectable } from '@nestjs/common';
import { VERSION_UPLOAD_FIELDS, type VersionDto } from '@upgrade-manager/dto';
import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { AppConfigService } from '../config/app-config.service';
import { ImageSigner, type ManifestSignature } from '../image-signing/image-signer.service';
import { ImageStorage, type StoredImage } from './image-storage.service';
import { rejectionReasonOf, VersionsMetrics } from './versions.metrics';
import { VersionsService } from './versions.service';

// Room for the multipart boundaries, part headers and the version field around the file.
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
// The GridFS name of an image whose version field comes after the file; renamed when recorded.
const PENDING_FILE_NAME = 'pending-upload';

interface UploadParts {
  version?: string;
  signature?: string;
  keyId?: string;
  image?: StoredImage;
  truncated: boolean;
  problem?: unknown;
}

function invalid(message: string): DomainError {
  return new DomainError(DomainErrorCode.INVALID_INPUT, message);
}

function tooLarge(maxBytes: number): DomainError {
  return new DomainError(DomainErrorCode.PAYLOAD_TOO_LARGE, `The image is larger than MAX_IMAGE_BYTES (${maxBytes} bytes)`, { maxBytes });
}

/**
 * `POST /api/versions`: the multipart body is streamed straight into GridFS. The version field may
 * come before the file (checked before anything is stored) or after it (the stored image is removed
 * if the version is refused). The request is always read to its end so that the client gets the
 * answer, except for a body that announces itself as too large.
 */
@Injectable()
export class VersionUploadService {
  constructor(
    private readonly versions: VersionsService,
    private readonly storage: ImageStorage,
    private readonly metrics: VersionsMetrics,
    private readonly config: AppConfigService,
    private readonly signer: ImageSigner,
  ) {}

  async receive(request: IncomingMessage, principal: Principal): Promise<VersionDto> {
    const maxBytes = this.config.get('MAX_IMAGE_BYTES');
    try {
      const parts = await this.readParts(request, maxBytes);
      const { version, signature } = await this.checkParts(parts, maxBytes);
      return await this.versions.add({ version, image: parts.image as StoredImage, source: 'upload', actor: principal, signature });
    } catch (error) {
      this.metrics.rejected('upload', rejectionReasonOf(error));
      throw error;
    }
  }

  private async readParts(request: IncomingMessage, maxBytes: number): Promise<UploadParts> {
    const declaredLength = Number(request.headers['content-length']);
    if (declaredLength > maxBytes + MULTIPART_OVERHEAD_BYTES) throw tooLarge(maxBytes);

    let parser: busboy.Busboy;
    try {
      // One byte over the limit marks an oversize file (busboy flags a file of exactly fileSize as truncated).
      parser = busboy({ headers: request.headers, limits: { fileSize: maxBytes + 1, files: 1, fields: 8, fieldSize: 1024, parts: 16 } });
    } catch {
      throw invalid(`Expected a multipart/form-data body with the fields "${VERSION_UPLOAD_FIELDS.version}" and "${VERSION_UPLOAD_FIELDS.file}"`);
    }

    const parts: UploadParts = { truncated: false };
    const storing: Promise<void>[] = [];
    parser.on('field', (name, value) => {
      if (name === VERSION_UPLOAD_FIELDS.version && parts.version === undefined) parts.version = value.trim();
      if (name === VERSION_UPLOAD_FIELDS.signature && parts.signature === undefined) parts.signature = value.trim();
      if (name === VERSION_UPLOAD_FIELDS.keyId && parts.keyId === undefined) parts.keyId = value.trim();
    });
    parser.on('file', (name, file) => {
      if (name !== VERSION_UPLOAD_FIELDS.file || storing.length > 0) {
        file.resume();
        return;
      }
      file.on('limit', () => (parts.truncated = true));
      storing.push(this.storePart(file, parts));
    });

    try {
      await pipeline(request, parser);
    } catch (error) {
      await Promise.all(storing);
      if (parts.image) await this.storage.discard(parts.image.fileId);
      throw invalid(`Malformed multipart body: ${(error as Error).message}`);
    }
    await Promise.all(storing);
    return parts;
  }

  /** Never rejects: the outcome lands in `parts`, read once the whole body is in. */
  private async storePart(file: Readable, parts: UploadParts): Promise<void> {
    try {
      if (parts.version !== undefined) {
        const problem = await this.versions.checkNewVersion(parts.version);
        if (problem) {
          parts.problem = problem;
          return;
        }
      }
      parts.image = await this.storage.store(file, parts.version ?? PENDING_FILE_NAME);
    } catch (error) {
      parts.problem = error;
    } finally {
      // Whatever was not stored is read and dropped, so that busboy goes on with the body.
      file.resume();
    }
  }

  /** The version to record (with its verified detached signature); otherwise the stored image is removed and the reason thrown. */
  private async checkParts(parts: UploadParts, maxBytes: number): Promise<{ version: string; signature?: ManifestSignature }> {
    const { image, version } = parts;
    try {
      if (parts.problem) throw parts.problem;
      if (!image) throw invalid(`The form has no "${VERSION_UPLOAD_FIELDS.file}" part`);
      if (parts.truncated || image.size > maxBytes) throw tooLarge(maxBytes);
      if (image.size === 0) throw invalid('The file is empty');
      if (version === undefined) throw invalid(`The form has no "${VERSION_UPLOAD_FIELDS.version}" field`);
      const problem = await this.versions.checkNewVersion(version);
      if (problem) throw problem;
      return { version, signature: this.checkSignature(parts, version, image) };
    } catch (error) {
      if (image) await this.storage.discard(image.fileId);
      throw error;
    }
  }

  /** The detached signature, verified against the trusted keys; undefined when none was sent (the server signs). */
  private checkSignature(parts: UploadParts, version: string, image: StoredImage): ManifestSignature | undefined {
    const { signature, keyId } = parts;
    if (signature === undefined && keyId === undefined) return undefined;
    if (!signature || !keyId) {
      throw invalid(`A detached signature needs both "${VERSION_UPLOAD_FIELDS.signature}" (base64) and "${VERSION_UPLOAD_FIELDS.keyId}"`);
    }
    const detached = { keyId, signature };
    this.signer.assertValid({ version, size: image.size, sha256: image.sha256 }, detached);
    return detached;
  }
}
