import * as zlib from 'node:zlib';
import { crc32 as crc32Reference } from 'crc';
import { FrameDecodeError, FrameDecodeErrorReason } from './frame-decode.error';

export const TIMESTAMP_OFFSET = 0;
export const LENGTH_OFFSET = 4;
export const CRC_OFFSET = 8;
export const HEADER_LENGTH = 12;
/** The length field is a signed int32. */
export const MAX_PAYLOAD_LENGTH = 0x7fffffff;

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

export interface Frame {
  timestampSeconds: number;
  payload: Buffer;
}

export interface FrameHeader {
  timestampSeconds: number;
  payloadLength: number;
  /** CRC-32/IEEE of the payload as a signed int32. */
  crc: number;
}

/** Buffer, any other Uint8Array, or text (encoded as UTF-8). */
export type FramePayload = Uint8Array | string;

function asBuffer(payload: FramePayload): Buffer {
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (Buffer.isBuffer(payload)) return payload;
  // A view, not a copy: images can be megabytes.
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

function assertInt32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
    throw new RangeError(`${name} must be a signed 32-bit integer, got ${value}`);
  }
}

// The CRC of a 1 MiB image is most of what a gateway spends on an Upgrade. @node-rs/crc32 (SIMD,
// PCLMULQDQ/ARMv8 CRC) is ~6x faster than zlib's native CRC-32 (Node >= 20.15) on data in cache
// and ~2x on data that is not: 0.15 CPU s instead of 0.3-0.45 s for 1 GiB of images to a fleet.
// zlib's is the fallback where no prebuilt binary loads, the `crc` package (JavaScript, 15x slower
// than zlib) where zlib has none; the specs check all three against each other.
function loadSimdCrc32(): ((data: Uint8Array) => number) | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional native module: a missing binary must not break the codec
    const simd = require('@node-rs/crc32') as typeof import('@node-rs/crc32');
    return (data) => simd.crc32(data);
  } catch {
    return undefined;
  }
}

/** The CRC-32 implementations available here, fastest first (exported for the specs). */
export const CRC32_IMPLEMENTATIONS: ReadonlyArray<{ name: string; crc32: (data: Uint8Array) => number }> = [
  { name: '@node-rs/crc32', crc32: loadSimdCrc32() },
  { name: 'zlib', crc32: typeof zlib.crc32 === 'function' ? (data: Uint8Array) => zlib.crc32(data) : undefined },
  { name: 'crc', crc32: (data: Uint8Array) => crc32Reference(asBuffer(data)) },
].flatMap(({ name, crc32 }) => (crc32 ? [{ name, crc32 }] : []));

const fastestCrc32 = CRC32_IMPLEMENTATIONS[0]?.crc32 ?? ((data: Uint8Array) => crc32Reference(asBuffer(data)));

/** CRC-32/IEEE (zlib/PNG) of `payload` as a signed int32, as the header carries it; 0 when empty. */
export function payloadCrc32(payload: Uint8Array): number {
  if (payload.byteLength === 0) return 0;
  return fastestCrc32(payload) | 0;
}

/** The 12-byte header alone. Throws RangeError when a field does not fit its int32. */
export function encodeFrameHeader(header: FrameHeader): Buffer {
  assertInt32('timestampSeconds', header.timestampSeconds);
  assertInt32('crc', header.crc);
  if (!Number.isInteger(header.payloadLength) || header.payloadLength < 0 || header.payloadLength > MAX_PAYLOAD_LENGTH) {
    throw new RangeError(`payloadLength must be an integer in 0..${MAX_PAYLOAD_LENGTH}, got ${header.payloadLength}`);
  }
  const bytes = Buffer.alloc(HEADER_LENGTH);
  bytes.writeInt32BE(header.timestampSeconds, TIMESTAMP_OFFSET);
  bytes.writeInt32BE(header.payloadLength, LENGTH_OFFSET);
  bytes.writeInt32BE(header.crc, CRC_OFFSET);
  return bytes;
}

/**
 * Header and payload as two buffers, so a large image can be sent (e.g. to many gateways) without
 * copying it into each frame. The payload buffer shares memory with the argument when it is binary.
 */
export function frameParts(payload: FramePayload, timestampSeconds: number = Math.floor(Date.now() / 1000)): [header: Buffer, payload: Buffer] {
  const body = asBuffer(payload);
  const header = encodeFrameHeader({ timestampSeconds, payloadLength: body.byteLength, crc: payloadCrc32(body) });
  return [header, body];
}

/** One frame: header (timestamp, length, CRC) followed by the payload bytes. */
export function encodeFrame(payload: FramePayload, timestampSeconds: number = Math.floor(Date.now() / 1000)): Buffer {
  const [header, body] = frameParts(payload, timestampSeconds);
  return Buffer.concat([header, body], HEADER_LENGTH + body.byteLength);
}

/**
 * Checks and splits one frame. The returned payload is a view over `bytes` (no copy): copy it
 * before mutating either. Throws `FrameDecodeError` and nothing else for any input.
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.byteLength < HEADER_LENGTH) {
    throw new FrameDecodeError(
      FrameDecodeErrorReason.TooShort,
      HEADER_LENGTH,
      bytes.byteLength,
      `frame has ${bytes.byteLength} bytes, fewer than the ${HEADER_LENGTH}-byte header`,
    );
  }
  const view = asBuffer(bytes);
  const timestampSeconds = view.readInt32BE(TIMESTAMP_OFFSET);
  const payloadLength = view.readInt32BE(LENGTH_OFFSET);
  const crc = view.readInt32BE(CRC_OFFSET);
  const received = view.byteLength - HEADER_LENGTH;

  if (payloadLength < 0) {
    throw new FrameDecodeError(
      FrameDecodeErrorReason.NegativeLength,
      received,
      payloadLength,
      `length field is negative (${payloadLength}); ${received} payload bytes received`,
    );
  }
  if (payloadLength !== received) {
    throw new FrameDecodeError(
      FrameDecodeErrorReason.LengthMismatch,
      payloadLength,
      received,
      `length field says ${payloadLength} payload bytes, ${received} received`,
    );
  }
  const payload = view.subarray(HEADER_LENGTH);
  const actualCrc = payloadCrc32(payload);
  if (actualCrc !== crc) {
    throw new FrameDecodeError(FrameDecodeErrorReason.CrcMismatch, crc, actualCrc, `CRC field is ${crc}, payload CRC is ${actualCrc}`);
  }
  return { timestampSeconds, payload };
}
