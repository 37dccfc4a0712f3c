import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { DigestStream, formatCrc32 } from './image-digest';

async function digestOf(chunks: Buffer[]): Promise<{ digest: DigestStream['digest']; passed: Buffer }> {
  const digest = new DigestStream();
  const passed: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      passed.push(chunk);
      callback();
    },
  });
  await pipeline(Readable.from(chunks), digest, sink);
  return { digest: digest.digest, passed: Buffer.concat(passed) };
}

describe('DigestStream', () => {
  it('matches the standard check value of CRC-32/IEEE and SHA-256 for "123456789"', async () => {
    const { digest } = await digestOf([Buffer.from('123456789')]);
    expect(digest).toEqual({
      size: 9,
      crc32: 'cbf43926',
      sha256: '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225',
    });
  });

  it('gives the same result whatever the chunking, and passes the bytes through unchanged', async () => {
    const data = randomBytes(200_000);
    const whole = await digestOf([data]);
    const pieces: Buffer[] = [];
    for (let offset = 0; offset < data.length; offset += 1 + (offset % 7919)) pieces.push(data.subarray(offset, offset + 1 + (offset % 7919)));
    const chunked = await digestOf(pieces);
    expect(chunked.digest).toEqual(whole.digest);
    expect(chunked.passed.equals(data)).toBe(true);
    expect(whole.digest.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(whole.digest.size).toBe(data.length);
  });

  it('digests an empty stream', async () => {
    const { digest } = await digestOf([]);
    expect(digest).toEqual({ size: 0, crc32: '00000000', sha256: createHash('sha256').digest('hex') });
  });

  it('refuses to report before the end', () => {
    expect(() => new DigestStream().digest).toThrow('has not ended');
  });
});

describe('formatCrc32', () => {
  it('formats signed and unsigned values as 8 hex digits', () => {
    expect(formatCrc32(-889275714)).toBe('cafebabe');
    expect(formatCrc32(0xcafebabe)).toBe('cafebabe');
    expect(formatCrc32(0x1f)).toBe('0000001f');
  });
});
