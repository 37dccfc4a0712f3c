import { crc32 } from 'crc';
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export interface ImageDigest {
  size: number;
  /** 64 lowercase hex digits. */
  sha256: string;
  /** CRC-32/IEEE (zlib), 8 lowercase hex digits of the unsigned value. */
  crc32: string;
}

/** Passes bytes through unchanged while measuring their size, SHA-256 and CRC-32. */
export class DigestStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private crc = 0;
  private size = 0;
  private result: ImageDigest | null = null;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    // crc treats previous === 0 as a zeroed register, whereas a running value of 0 (and the start)
    // must continue from ~0, which is what it does for undefined.
    this.crc = crc32(chunk, this.crc === 0 ? undefined : this.crc);
    this.size += chunk.byteLength;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.result = { size: this.size, sha256: this.hash.digest('hex'), crc32: formatCrc32(this.crc) };
    callback();
  }

  /** Available once the stream has ended. */
  get digest(): ImageDigest {
    if (!this.result) throw new Error('DigestStream has not ended');
    return this.result;
  }
}

/** The hex form used in the API (`cbf43926`), whatever the sign of the number. */
export function formatCrc32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}
