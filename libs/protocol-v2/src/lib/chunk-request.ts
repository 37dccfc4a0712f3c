import { MAX_CHUNK_COUNT, MAX_RANGES_PER_REQUEST, SHA256_BYTES } from './limits';
import { ProtocolV2Error, ProtocolV2ErrorReason } from './protocol-v2.error';
import { SHA256_HEX } from './json-fields';

export const REQUEST_SHA256_OFFSET = 0;
export const REQUEST_RANGE_COUNT_OFFSET = 32;
export const REQUEST_RANGES_OFFSET = 34;
export const RANGE_LENGTH = 8;
/** The largest chunk request: MAX_RANGES_PER_REQUEST ranges. */
export const MAX_CHUNK_REQUEST_BYTES = REQUEST_RANGES_OFFSET + MAX_RANGES_PER_REQUEST * RANGE_LENGTH;

/** `count` chunks from index `first`. */
export interface ChunkRange {
  first: number;
  count: number;
}

/** Request Chunks (gateway → cloud): the chunks of one image a gateway still lacks. */
export interface ChunkRequest {
  sha256: string;
  /** Ascending, not overlapping, 1..MAX_RANGES_PER_REQUEST of them. */
  ranges: ChunkRange[];
}

function fail(reason: ProtocolV2ErrorReason, message: string): never {
  throw new ProtocolV2Error(reason, message);
}

function checkRanges(ranges: readonly ChunkRange[]): void {
  if (ranges.length < 1 || ranges.length > MAX_RANGES_PER_REQUEST) {
    fail(ProtocolV2ErrorReason.BadRangeCount, `a request has 1..${MAX_RANGES_PER_REQUEST} ranges, got ${ranges.length}`);
  }
  let next = 0;
  for (const { first, count } of ranges) {
    if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 1 || first + count > MAX_CHUNK_COUNT) {
      fail(ProtocolV2ErrorReason.BadRange, `range ${first}+${count} is not within 0..${MAX_CHUNK_COUNT - 1} with a count of at least 1`);
    }
    if (first < next) fail(ProtocolV2ErrorReason.RangesNotAscending, `range ${first}+${count} starts before the end of the previous one (${next})`);
    next = first + count;
  }
}

export function encodeChunkRequest(request: ChunkRequest): Buffer {
  if (!SHA256_HEX.test(request.sha256)) throw new RangeError(`invalid SHA-256: ${JSON.stringify(request.sha256)}`);
  checkRanges(request.ranges);
  const bytes = Buffer.alloc(REQUEST_RANGES_OFFSET + request.ranges.length * RANGE_LENGTH);
  bytes.write(request.sha256, REQUEST_SHA256_OFFSET, SHA256_BYTES, 'hex');
  bytes.writeUInt16BE(request.ranges.length, REQUEST_RANGE_COUNT_OFFSET);
  request.ranges.forEach(({ first, count }, i) => {
    bytes.writeUInt32BE(first, REQUEST_RANGES_OFFSET + i * RANGE_LENGTH);
    bytes.writeUInt32BE(count, REQUEST_RANGES_OFFSET + i * RANGE_LENGTH + 4);
  });
  return bytes;
}

/** Parses and checks a chunk request. Throws ProtocolV2Error and nothing else for any input. */
export function decodeChunkRequest(payload: Uint8Array): ChunkRequest {
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (bytes.byteLength < REQUEST_RANGES_OFFSET) {
    fail(ProtocolV2ErrorReason.TooShort, `chunk request has ${bytes.byteLength} bytes, fewer than ${REQUEST_RANGES_OFFSET}`);
  }
  const rangeCount = bytes.readUInt16BE(REQUEST_RANGE_COUNT_OFFSET);
  if (rangeCount < 1 || rangeCount > MAX_RANGES_PER_REQUEST) {
    fail(ProtocolV2ErrorReason.BadRangeCount, `a request has 1..${MAX_RANGES_PER_REQUEST} ranges, got ${rangeCount}`);
  }
  const expected = REQUEST_RANGES_OFFSET + rangeCount * RANGE_LENGTH;
  if (bytes.byteLength < expected) fail(ProtocolV2ErrorReason.TooShort, `${rangeCount} ranges need ${expected} bytes, got ${bytes.byteLength}`);
  if (bytes.byteLength > expected) fail(ProtocolV2ErrorReason.TrailingBytes, `${rangeCount} ranges need ${expected} bytes, got ${bytes.byteLength}`);
  const ranges: ChunkRange[] = [];
  for (let i = 0; i < rangeCount; i++) {
    ranges.push({
      first: bytes.readUInt32BE(REQUEST_RANGES_OFFSET + i * RANGE_LENGTH),
      count: bytes.readUInt32BE(REQUEST_RANGES_OFFSET + i * RANGE_LENGTH + 4),
    });
  }
  checkRanges(ranges);
  return { sha256: bytes.toString('hex', REQUEST_SHA256_OFFSET, REQUEST_SHA256_OFFSET + SHA256_BYTES), ranges };
}

/**
 * The ranges of chunks not yet received (`has(i)` false), at most `maxRanges` ranges and
 * `maxChunks` chunks in total, lowest indexes first.
 */
export function missingRanges(chunkCount: number, has: (index: number) => boolean, maxRanges = MAX_RANGES_PER_REQUEST, maxChunks = Infinity): ChunkRange[] {
  const ranges: ChunkRange[] = [];
  let budget = maxChunks;
  for (let i = 0; i < chunkCount && ranges.length < maxRanges && budget > 0; i++) {
    if (has(i)) continue;
    let count = 1;
    while (i + count < chunkCount && count < budget && !has(i + count)) count++;
    ranges.push({ first: i, count });
    budget -= count;
    i += count;
  }
  return ranges;
}
