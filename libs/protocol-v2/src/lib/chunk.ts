import { MAX_CHUNK_COUNT, MAX_CHUNK_SIZE, SHA256_BYTES } from './limits';
import { ProtocolV2Error, ProtocolV2ErrorReason } from './protocol-v2.error';
import { SHA256_HEX } from './json-fields';

export const CHUNK_SHA256_OFFSET = 0;
export const CHUNK_INDEX_OFFSET = 32;
export const CHUNK_HEADER_LENGTH = 36;

/** One chunk of an image: the payload of Upgrade Chunk and of the shared chunk stream. */
export interface Chunk {
  /** SHA-256 of the whole image the chunk belongs to, lowercase hex. */
  sha256: string;
  index: number;
  /** A view over the decoded bytes (no copy). */
  data: Buffer;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The 36-byte chunk header alone (image SHA-256, index), so the data can be sent without a copy. */
export function encodeChunkHeader(sha256: string, index: number): Buffer {
  if (!SHA256_HEX.test(sha256)) throw new RangeError(`invalid SHA-256: ${JSON.stringify(sha256)}`);
  if (!Number.isInteger(index) || index < 0 || index > MAX_CHUNK_COUNT - 1) throw new RangeError(`chunk index out of range: ${index}`);
  const header = Buffer.alloc(CHUNK_HEADER_LENGTH);
  header.write(sha256, CHUNK_SHA256_OFFSET, SHA256_BYTES, 'hex');
  header.writeUInt32BE(index, CHUNK_INDEX_OFFSET);
  return header;
}

export function encodeChunk(chunk: Chunk): Buffer {
  if (chunk.data.byteLength === 0 || chunk.data.byteLength > MAX_CHUNK_SIZE) throw new RangeError(`chunk data must have 1..${MAX_CHUNK_SIZE} bytes`);
  return Buffer.concat([encodeChunkHeader(chunk.sha256, chunk.index), chunk.data]);
}

/** Splits a chunk payload. Throws ProtocolV2Error and nothing else for any input. */
export function decodeChunk(payload: Uint8Array): Chunk {
  const bytes = asBuffer(payload);
  if (bytes.byteLength <= CHUNK_HEADER_LENGTH) {
    throw new ProtocolV2Error(
      ProtocolV2ErrorReason.TooShort,
      `chunk has ${bytes.byteLength} bytes; a header of ${CHUNK_HEADER_LENGTH} and at least one data byte are needed`,
    );
  }
  if (bytes.byteLength > CHUNK_HEADER_LENGTH + MAX_CHUNK_SIZE) {
    throw new ProtocolV2Error(ProtocolV2ErrorReason.TooLarge, `chunk has ${bytes.byteLength - CHUNK_HEADER_LENGTH} data bytes, more than ${MAX_CHUNK_SIZE}`);
  }
  return {
    sha256: bytes.toString('hex', CHUNK_SHA256_OFFSET, CHUNK_SHA256_OFFSET + SHA256_BYTES),
    index: bytes.readUInt32BE(CHUNK_INDEX_OFFSET),
    data: bytes.subarray(CHUNK_HEADER_LENGTH),
  };
}
