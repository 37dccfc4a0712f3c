import { randomBytes } from 'node:crypto';
import { crc32 as crc32Reference } from 'crc';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CRC_OFFSET, HEADER_LENGTH, LENGTH_OFFSET, TIMESTAMP_OFFSET, decodeFrame, encodeFrame, encodeFrameHeader, frameParts, payloadCrc32 } from './frame';
import { FrameDecodeError, FrameDecodeErrorReason } from './frame-decode.error';

interface FrameVector {
  name: string;
  timestampSeconds: number;
  payloadHex: string;
  frameHex: string;
  crc32Unsigned: number;
  crc32Signed: number;
}

// The vectors live in the shared folder beside the repository root.
// A copy of the protocol's shared test vectors, kept in the repo so a clone tests on its own.
const VECTORS_PATH = path.join(__dirname, '../../test/legacy-frame-vectors.json');
const vectors = (JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as { vectors: FrameVector[] }).vectors;
const TS = 1764190000;

function decodeError(bytes: Uint8Array): FrameDecodeError {
  try {
    decodeFrame(bytes);
  } catch (error) {
    if (error instanceof FrameDecodeError) return error;
    throw error;
  }
  throw new Error('decodeFrame accepted the bytes');
}

describe('frame layout constants', () => {
  it('matches the protocol table', () => {
    expect([TIMESTAMP_OFFSET, LENGTH_OFFSET, CRC_OFFSET, HEADER_LENGTH]).toEqual([0, 4, 8, 12]);
  });
});

describe('shared legacy frame vectors', () => {
  it('are all loaded', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(7);
  });

  describe.each(vectors.map((vector) => [vector.name, vector] as const))('%s', (_name, vector) => {
    const payload = Buffer.from(vector.payloadHex, 'hex');

    it('encodes to the exact frame bytes', () => {
      expect(encodeFrame(payload, vector.timestampSeconds).toString('hex')).toBe(vector.frameHex);
    });

    it('decodes to the payload and timestamp', () => {
      const frame = decodeFrame(Buffer.from(vector.frameHex, 'hex'));
      expect(frame.timestampSeconds).toBe(vector.timestampSeconds);
      expect(frame.payload.toString('hex')).toBe(vector.payloadHex);
    });

    it('computes the signed CRC the header carries', () => {
      expect(payloadCrc32(payload)).toBe(vector.crc32Signed);
      expect(payloadCrc32(payload) >>> 0).toBe(vector.crc32Unsigned);
      expect(crc32Reference(payload) >>> 0).toBe(vector.crc32Unsigned);
    });

    it('decodes from a plain Uint8Array at a non-zero offset', () => {
      const backing = new Uint8Array(vector.frameHex.length / 2 + 5);
      backing.set(Buffer.from(vector.frameHex, 'hex'), 5);
      const frame = decodeFrame(backing.subarray(5));
      expect(frame.payload.toString('hex')).toBe(vector.payloadHex);
    });
  });
});

describe('encodeFrame', () => {
  it('encodes a string payload as UTF-8', () => {
    const frame = encodeFrame('{"version":"1.0"}', TS);
    expect(frame.toString('hex')).toBe('69276730000000113edb716d7b2276657273696f6e223a22312e30227d');
    expect(decodeFrame(encodeFrame('é€', TS)).payload.toString('utf8')).toBe('é€');
  });

  it('accepts a Uint8Array that is a window on a larger buffer', () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    expect(decodeFrame(encodeFrame(backing.subarray(2, 5), TS)).payload).toEqual(Buffer.from([1, 2, 3]));
  });

  it('defaults the timestamp to the current second', () => {
    const before = Math.floor(Date.now() / 1000);
    const { timestampSeconds } = decodeFrame(encodeFrame(' '));
    expect(timestampSeconds).toBeGreaterThanOrEqual(before);
    expect(timestampSeconds).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  it.each([
    ['the largest', 2147483647],
    ['a negative', -1],
    ['the smallest', -2147483648],
    ['zero', 0],
  ])('round-trips %s int32 timestamp', (_label, ts) => {
    expect(decodeFrame(encodeFrame('x', ts)).timestampSeconds).toBe(ts);
  });

  it.each([2147483648, -2147483649, 1.5, Number.NaN])('refuses timestamp %p', (ts) => {
    expect(() => encodeFrame('x', ts)).toThrow(RangeError);
  });
});

describe('encodeFrameHeader and frameParts', () => {
  it('writes three big-endian int32 fields', () => {
    expect(encodeFrameHeader({ timestampSeconds: TS, payloadLength: 1, crc: -378745019 }).toString('hex')).toBe('6927673000000001e96ccf45');
  });

  it.each([
    { timestampSeconds: TS, payloadLength: -1, crc: 0 },
    { timestampSeconds: TS, payloadLength: 2 ** 31, crc: 0 },
    { timestampSeconds: TS, payloadLength: 0, crc: 2 ** 31 },
  ])('refuses out-of-range header %p', (header) => {
    expect(() => encodeFrameHeader(header)).toThrow(RangeError);
  });

  it('concatenate to the same bytes as encodeFrame and share the payload buffer', () => {
    const image = randomBytes(1000);
    const [header, body] = frameParts(image, TS);
    expect(header).toHaveLength(HEADER_LENGTH);
    expect(body).toBe(image);
    expect(Buffer.concat([header, body])).toEqual(encodeFrame(image, TS));
  });
});

describe('round trips', () => {
  it.each([
    ['empty', Buffer.alloc(0)],
    ['a single space', Buffer.from(' ')],
    ['every byte value', Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
    ['NUL and invalid UTF-8', Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0x00])],
    ['random 64 KiB', randomBytes(64 * 1024)],
  ])('%s', (_label, payload) => {
    const frame = decodeFrame(encodeFrame(payload, TS));
    expect(frame.timestampSeconds).toBe(TS);
    expect(frame.payload.equals(payload)).toBe(true);
  });

  it('passes a 3 MiB random image through byte for byte', () => {
    const image = randomBytes(3 * 1024 * 1024);
    const encoded = encodeFrame(image, TS);
    expect(encoded).toHaveLength(HEADER_LENGTH + image.length);
    const frame = decodeFrame(encoded);
    expect(frame.payload.length).toBe(image.length);
    expect(frame.payload.equals(image)).toBe(true);
  });

  it('returns a payload that views the input without copying', () => {
    const encoded = encodeFrame('abc', TS);
    const { payload } = decodeFrame(encoded);
    expect(payload.buffer).toBe(encoded.buffer);
    expect(payload.byteOffset).toBe(encoded.byteOffset + HEADER_LENGTH);
  });
});

describe('decodeFrame errors', () => {
  const good = encodeFrame('{"version":"1.0"}', TS);

  it.each([0, 1, 11])('TOO_SHORT for %i bytes', (length) => {
    const error = decodeError(good.subarray(0, length));
    expect(error).toMatchObject({ reason: FrameDecodeErrorReason.TooShort, expected: 12, actual: length });
    expect(error.name).toBe('FrameDecodeError');
    expect(error).toBeInstanceOf(Error);
  });

  it('LENGTH_MISMATCH when bytes are missing', () => {
    expect(decodeError(good.subarray(0, good.length - 1))).toMatchObject({
      reason: FrameDecodeErrorReason.LengthMismatch,
      expected: 17,
      actual: 16,
    });
  });

  it('LENGTH_MISMATCH when extra bytes follow', () => {
    expect(decodeError(Buffer.concat([good, Buffer.from([0])]))).toMatchObject({
      reason: FrameDecodeErrorReason.LengthMismatch,
      expected: 17,
      actual: 18,
    });
  });

  it('LENGTH_MISMATCH for a bare header that announces a payload', () => {
    expect(decodeError(good.subarray(0, HEADER_LENGTH))).toMatchObject({
      reason: FrameDecodeErrorReason.LengthMismatch,
      expected: 17,
      actual: 0,
    });
  });

  it('NEGATIVE_LENGTH for a length field with the sign bit set', () => {
    const bytes = Buffer.from(good);
    bytes.writeInt32BE(-5, LENGTH_OFFSET);
    expect(decodeError(bytes)).toMatchObject({ reason: FrameDecodeErrorReason.NegativeLength, actual: -5 });
  });

  it('CRC_MISMATCH when a payload byte is flipped', () => {
    const bytes = Buffer.from(good);
    bytes[HEADER_LENGTH + 3] ^= 0x01;
    const error = decodeError(bytes);
    expect(error.reason).toBe(FrameDecodeErrorReason.CrcMismatch);
    expect(error.expected).toBe(0x3edb716d);
    expect(error.actual).toBe(payloadCrc32(bytes.subarray(HEADER_LENGTH)));
  });

  it('CRC_MISMATCH when the CRC field is wrong', () => {
    const bytes = Buffer.from(good);
    bytes.writeInt32BE(0, CRC_OFFSET);
    expect(decodeError(bytes)).toMatchObject({ reason: FrameDecodeErrorReason.CrcMismatch, expected: 0 });
  });

  it('CRC_MISMATCH for an empty payload with a non-zero CRC', () => {
    const bytes = encodeFrame('', TS);
    bytes.writeInt32BE(1, CRC_OFFSET);
    expect(decodeError(bytes)).toMatchObject({ reason: FrameDecodeErrorReason.CrcMismatch, expected: 1, actual: 0 });
  });

  it('carries a readable message', () => {
    expect(decodeError(good.subarray(0, 5)).message).toMatch(/5 bytes/);
  });
});

describe('payloadCrc32 against the crc package (the reference)', () => {
  it('agrees on random payloads of many sizes, views at odd offsets included', () => {
    for (const size of [1, 2, 3, 7, 64, 1000, 4096, 65_537, 1_048_576]) {
      const backing = randomBytes(size + 3);
      const view = new Uint8Array(backing.buffer, backing.byteOffset + 3, size);
      expect(payloadCrc32(view)).toBe(crc32Reference(Buffer.from(view)) | 0);
    }
  });
});
