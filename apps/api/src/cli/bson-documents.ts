import { Transform, type TransformCallback } from 'node:stream';

// A BSON document starts with its total length as a little-endian int32 (length included).
const LENGTH_PREFIX_BYTES = 4;
const MIN_DOCUMENT_BYTES = 5;
const MAX_DOCUMENT_BYTES = 48 * 1024 * 1024;

/** Splits a stream of concatenated BSON documents (a mongodump `.bson` file) into one Buffer per document. */
export class BsonDocumentSplitter extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    while (this.pending.length - offset >= LENGTH_PREFIX_BYTES) {
      const length = this.pending.readInt32LE(offset);
      if (length < MIN_DOCUMENT_BYTES || length > MAX_DOCUMENT_BYTES) {
        callback(new Error(`Corrupt BSON file: a document claims ${length} bytes at offset ${offset}`));
        return;
      }
      if (this.pending.length - offset < length) break;
      this.push(Buffer.from(this.pending.subarray(offset, offset + length)));
      offset += length;
    }
    this.pending = this.pending.subarray(offset);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    callback(this.pending.length === 0 ? null : new Error(`Corrupt BSON file: ${this.pending.length} trailing bytes`));
  }
}
