import { decodeFrame, encodeFrame } from '@upgrade-manager/frame-codec';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { decodeChunk, encodeChunk, encodeChunkHeader } from './chunk';
import { decodeChunkRequest, encodeChunkRequest, missingRanges } from './chunk-request';
import { MAX_JSON_MESSAGE_BYTES, MAX_REASON_BYTES } from './limits';
import { canonicalManifest, decodeOffer, encodeOffer, manifestOf } from './manifest';
import { decodeProgress, encodeProgress, truncateReason, type Progress } from './progress';
import { ProtocolV2Error } from './protocol-v2.error';
import { keyIdOf, parseTrustedKeys, publicKeyFromRaw, signManifest, trustedKeyLine, verifyManifest } from './signing';
import { parseV2Topic, sharedChunkTopic, toCloudV2Topic, toGatewayV2Topic } from './topics-v2';
import { vectors } from './vectors.fixture';

const TS = vectors.frameTimestampSeconds;
const hex = (text: string) => Buffer.from(text, 'hex');

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ProtocolV2Error) return error.reason;
    throw error;
  }
  throw new Error('no error thrown');
}

describe('topics', () => {
  it('builds and parses the documented topics', () => {
    expect(toGatewayV2Topic('UPGRADE_OFFER', 'gw-1')).toBe(vectors.topics.offer);
    expect(toGatewayV2Topic('UPGRADE_CHUNK', 'gw-1')).toBe(vectors.topics.chunk);
    expect(sharedChunkTopic(vectors.image.sha256)).toBe(vectors.topics.sharedChunk);
    expect(toCloudV2Topic('REQUEST_CHUNKS', 'gw-1')).toBe(vectors.topics.chunkRequest);
    expect(toCloudV2Topic('UPGRADE_PROGRESS', 'gw-1')).toBe(vectors.topics.progress);
    expect(parseV2Topic(vectors.topics.chunkRequest)).toEqual({ direction: 'toCloud', type: 'REQUEST_CHUNKS', gatewayId: 'gw-1' });
    expect(parseV2Topic(vectors.topics.sharedChunk)).toEqual({ direction: 'toGateway', type: 'UPGRADE_CHUNK_SHARED', sha256: vectors.image.sha256 });
  });

  it.each(['TOCLOUD/STATUS/gw-1', 'TOCLOUD/REQUEST_CHUNKS', 'TOCLOUD/REQUEST_CHUNKS/a/b', 'TOGATEWAY/UPGRADE_CHUNK_SHARED/xyz', 'tocloud/REQUEST_CHUNKS/gw'])(
    'is null for %s',
    (topic) => expect(parseV2Topic(topic)).toBeNull(),
  );

  it('refuses ids that would change a topic', () => {
    expect(() => toCloudV2Topic('REQUEST_CHUNKS', 'a/+')).toThrow(RangeError);
    expect(() => sharedChunkTopic('ABC')).toThrow(RangeError);
  });
});

describe('manifest and signature', () => {
  const privateKey = createPrivateKey(vectors.testKey.privateKeyPem);
  const publicKey = publicKeyFromRaw(Buffer.from(vectors.testKey.publicKeyBase64, 'base64'));

  it('has the documented canonical bytes', () => {
    expect(canonicalManifest(vectors.manifest).toString('hex')).toBe(vectors.canonicalManifestHex);
    expect(canonicalManifest(vectors.manifest).toString('ascii')).toBe(vectors.canonicalManifestText);
  });

  it('signs to the vector (Ed25519 is deterministic) and verifies it', () => {
    expect(signManifest(vectors.manifest, privateKey).toString('base64')).toBe(vectors.signatureBase64);
    expect(verifyManifest(vectors.manifest, Buffer.from(vectors.signatureBase64, 'base64'), publicKey)).toBe(true);
  });

  it('refuses a tampered signature, another image or another key', () => {
    const signature = Buffer.from(vectors.signatureBase64, 'base64');
    expect(verifyManifest(vectors.manifest, Buffer.from(vectors.tamperedSignatureBase64, 'base64'), publicKey)).toBe(false);
    expect(verifyManifest({ ...vectors.manifest, size: vectors.manifest.size + 1 }, signature, publicKey)).toBe(false);
    expect(verifyManifest({ ...vectors.manifest, version: '1.3' }, signature, publicKey)).toBe(false);
    const other = publicKeyFromRaw(randomBytes(32));
    expect(verifyManifest(vectors.manifest, signature, other)).toBe(false);
    expect(verifyManifest(vectors.manifest, signature.subarray(0, 63), publicKey)).toBe(false);
  });

  it('derives the key id and the trusted-keys line', () => {
    expect(keyIdOf(publicKey)).toBe(vectors.testKey.keyId);
    expect(trustedKeyLine(privateKey)).toBe(vectors.testKey.trustedKeysLine);
    const keys = parseTrustedKeys(
      `# rotation\n${vectors.testKey.trustedKeysLine}\n\nold-key ${vectors.testKey.publicKeyBase64}\n${vectors.testKey.publicKeyBase64}`,
    );
    expect([...keys.keys()]).toEqual([vectors.testKey.keyId, 'old-key']);
  });

  it.each(['k1 notbase64!', 'k1 AAAA', 'a b c', 'bad/id ' + vectors.testKey.publicKeyBase64])('refuses the trusted-keys line %s', (line) => {
    expect(() => parseTrustedKeys(line)).toThrow(/trusted keys, line 1/);
  });
});

describe('offer', () => {
  it('decodes the vector, inside its frame', () => {
    const { payload, timestampSeconds } = decodeFrame(hex(vectors.offer.frameHex));
    expect(timestampSeconds).toBe(TS);
    const offer = decodeOffer(payload);
    expect(offer).toEqual({ ...vectors.offer.message, signature: Buffer.from(vectors.signatureBase64, 'base64') });
    expect(manifestOf(offer)).toEqual(vectors.manifest);
  });

  it('encodes the exact bytes of the vector', () => {
    const offer = decodeOffer(Buffer.from(vectors.offer.payloadText));
    expect(encodeOffer(offer).toString('utf8')).toBe(vectors.offer.payloadText);
    expect(encodeFrame(encodeOffer(offer), TS).toString('hex')).toBe(vectors.offer.frameHex);
  });

  const base = vectors.offer.message;
  it.each([
    ['not JSON', Buffer.from('{'), 'V2_MALFORMED_JSON'],
    ['an array', Buffer.from('[]'), 'V2_MALFORMED_JSON'],
    ['not UTF-8', Buffer.from([0xff, 0xfe]), 'V2_INVALID_UTF8'],
    ['too large', Buffer.alloc(MAX_JSON_MESSAGE_BYTES + 1, 0x20), 'V2_TOO_LARGE'],
    ['no signature', Buffer.from(JSON.stringify({ ...base, signature: undefined })), 'V2_MISSING_FIELD'],
    ['a short signature', Buffer.from(JSON.stringify({ ...base, signature: 'AAAA' })), 'V2_INVALID_FIELD'],
    ['a wrong chunk count', Buffer.from(JSON.stringify({ ...base, chunkCount: 4 })), 'V2_INVALID_FIELD'],
    ['a tiny chunk size', Buffer.from(JSON.stringify({ ...base, chunkSize: 10, chunkCount: 250 })), 'V2_INVALID_FIELD'],
    ['an upper-case SHA-256', Buffer.from(JSON.stringify({ ...base, sha256: String(base['sha256']).toUpperCase() })), 'V2_INVALID_FIELD'],
    ['a numeric version', Buffer.from(JSON.stringify({ ...base, version: 1.2 })), 'V2_INVALID_FIELD'],
    ['a negative size', Buffer.from(JSON.stringify({ ...base, size: -1 })), 'V2_INVALID_FIELD'],
  ])('refuses %s', (_name, payload, reason) => {
    expect(reasonOf(() => decodeOffer(payload))).toBe(reason);
  });
});

describe('chunks', () => {
  it.each(vectors.chunks.map((chunk) => [chunk.index, chunk] as const))('chunk %i decodes and encodes byte-exact', (_index, vector) => {
    const { payload } = decodeFrame(hex(vector.frameHex));
    const chunk = decodeChunk(payload);
    expect(chunk.sha256).toBe(vectors.image.sha256);
    expect(chunk.index).toBe(vector.index);
    expect(chunk.data.byteLength).toBe(vector.dataLength);
    expect(encodeChunk(chunk).toString('hex')).toBe(vector.payloadHex);
    expect(encodeFrame(encodeChunk(chunk), TS).toString('hex')).toBe(vector.frameHex);
  });

  it('reassemble the image', () => {
    const data = vectors.chunks.map((vector) => decodeChunk(hex(vector.payloadHex)).data);
    expect(Buffer.concat(data).toString('hex')).toBe(vectors.image.hex);
  });

  it('refuses a chunk without data and a chunk over 1 MiB', () => {
    expect(reasonOf(() => decodeChunk(encodeChunkHeader(vectors.image.sha256, 0)))).toBe('V2_TOO_SHORT');
    expect(reasonOf(() => decodeChunk(Buffer.alloc(36 + 1024 * 1024 + 1)))).toBe('V2_TOO_LARGE');
    expect(() => encodeChunk({ sha256: vectors.image.sha256, index: -1, data: Buffer.from('x') })).toThrow(RangeError);
  });
});

describe('chunk requests', () => {
  it.each(vectors.chunkRequests.map((request) => [request.name, request] as const))('%s decodes and encodes byte-exact', (_name, vector) => {
    const request = decodeChunkRequest(decodeFrame(hex(vector.frameHex)).payload);
    expect(request).toEqual({ sha256: vectors.image.sha256, ranges: vector.ranges });
    expect(encodeChunkRequest(request).toString('hex')).toBe(vector.payloadHex);
  });

  it.each(vectors.invalidChunkRequests.map((request) => [request.name, request] as const))('refuses %s', (_name, vector) => {
    expect(reasonOf(() => decodeChunkRequest(hex(vector.payloadHex)))).toBe(vector.reason);
  });

  it('refuses more than 64 ranges', () => {
    const ranges = Array.from({ length: 65 }, (_, i) => ({ first: i * 2, count: 1 }));
    expect(reasonOf(() => encodeChunkRequest({ sha256: vectors.image.sha256, ranges }))).toBe('V2_BAD_RANGE_COUNT');
  });

  it('lists the missing ranges within the bounds', () => {
    const received = new Set([0, 1, 5, 9]);
    const has = (index: number) => received.has(index);
    expect(missingRanges(10, has)).toEqual([
      { first: 2, count: 3 },
      { first: 6, count: 3 },
    ]);
    expect(missingRanges(10, has, 1)).toEqual([{ first: 2, count: 3 }]);
    expect(missingRanges(10, has, 64, 4)).toEqual([
      { first: 2, count: 3 },
      { first: 6, count: 1 },
    ]);
    expect(missingRanges(3, () => true)).toEqual([]);
  });
});

describe('progress', () => {
  it.each(vectors.progress.map((vector) => [vector.message['state'], vector] as const))('%s decodes and encodes byte-exact', (_state, vector) => {
    const progress = decodeProgress(decodeFrame(hex(vector.frameHex)).payload);
    expect(progress).toEqual({ bytes: null, reason: null, ...vector.message });
    expect(encodeProgress(progress).toString('hex')).toBe(vector.payloadHex);
  });

  const id = '6745a1b2c3d4e5f601234567';
  it.each([
    ['an unknown state', { deploymentId: id, state: 'done' }],
    ['downloading without bytes', { deploymentId: id, state: 'downloading' }],
    ['failed without reason', { deploymentId: id, state: 'failed' }],
    ['a reason over 1 KiB', { deploymentId: id, state: 'failed', reason: 'x'.repeat(MAX_REASON_BYTES + 1) }],
    ['negative bytes', { deploymentId: id, state: 'downloading', bytes: -1 }],
    ['a bad deployment id', { deploymentId: 'a b', state: 'succeeded' }],
  ])('refuses %s', (_name, message) => {
    expect(reasonOf(() => decodeProgress(Buffer.from(JSON.stringify(message))))).toBe('V2_INVALID_FIELD');
  });

  it('cuts a reason at a character boundary within 1 KiB', () => {
    const reason = truncateReason('é'.repeat(MAX_REASON_BYTES));
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(MAX_REASON_BYTES);
    expect(reason).toBe('é'.repeat(MAX_REASON_BYTES / 2));
    const progress: Progress = { deploymentId: id, state: 'failed', bytes: null, reason };
    expect(decodeProgress(encodeProgress(progress))).toEqual(progress);
  });

  it('makes any reason fit the message limit the server reads, and refuses to encode one that does not', () => {
    const unreadable = '\u0001'.repeat(MAX_REASON_BYTES);
    // JSON writes each control character as six bytes: 6 KiB, which the server refuses unread.
    expect(reasonOf(() => encodeProgress({ deploymentId: id, state: 'failed', bytes: null, reason: unreadable }))).toBe('V2_INVALID_FIELD');
    expect(truncateReason(unreadable)).toBe(' '.repeat(MAX_REASON_BYTES));
    expect(truncateReason('tab\there\nline\r\u0000\u007f')).toBe('tab\there\nline\r  ');
    expect(truncateReason('a\ud800b\udc00c 😀')).toBe('a\ufffdb\ufffdc 😀');

    const units = ['"', '\\', '\n', '\u0000', '\u001f', '\ud800', '\udfff', '\ud83d\ude00', 'é', 'x', '\u2028'];
    for (let run = 0; run < 300; run++) {
      const raw = Array.from({ length: 200 + Math.floor(Math.random() * 2000) }, () => units[Math.floor(Math.random() * units.length)]).join('');
      const progress: Progress = { deploymentId: 'd'.repeat(64), state: 'failed', bytes: 2 ** 40, reason: truncateReason(raw) };
      const payload = encodeProgress(progress);
      expect(payload.byteLength).toBeLessThanOrEqual(MAX_JSON_MESSAGE_BYTES);
      expect(decodeProgress(payload)).toEqual(progress);
    }
    const worst = truncateReason('"'.repeat(MAX_REASON_BYTES));
    expect(encodeProgress({ deploymentId: 'd'.repeat(64), state: 'downloading', bytes: 2 ** 40, reason: worst }).byteLength).toBeLessThan(
      MAX_JSON_MESSAGE_BYTES,
    );
  });

  it("cleans only the part of a reason it keeps: a long one (a hook's whole output) is not rewritten whole", () => {
    const replace = jest.spyOn(String.prototype, 'replace');
    try {
      const long = '\u0001\udc00'.repeat(512 * 1024);
      expect(truncateReason(long)).toBe('\u0020\ufffd'.repeat(256));
      expect(replace).toHaveBeenCalled();
      expect(Math.max(...replace.mock.contexts.map((text) => String(text).length))).toBeLessThanOrEqual(MAX_REASON_BYTES);
    } finally {
      replace.mockRestore();
    }
  });

  it('cuts as one pass over the whole reason would, also where a surrogate pair straddles the first MAX_REASON_BYTES code units', () => {
    // Character by character: unpaired surrogates as U+FFFD, controls but tab and line breaks as spaces, until 1 KiB.
    const reference = (raw: string) => {
      let kept = '';
      for (const char of raw) {
        const code = char.codePointAt(0) ?? 0;
        const written = code >= 0xd800 && code <= 0xdfff ? '\ufffd' : (code < 0x20 && !'\t\n\r'.includes(char)) || code === 0x7f ? ' ' : char;
        if (Buffer.byteLength(kept + written) > MAX_REASON_BYTES) break;
        kept += written;
      }
      return kept;
    };
    const units = ['x', 'é', '€', '\u0001', '\t', '\u007f', '\ud800', '\udbff', '\udc00', '\udfff', '\ud83d\ude00'];
    for (let run = 0; run < 2000; run++) {
      const raw = Array.from({ length: 900 + Math.floor(Math.random() * 300) }, () => units[Math.floor(Math.random() * units.length)]).join('');
      expect(truncateReason(raw)).toBe(reference(raw));
    }
    expect(truncateReason(`${'x'.repeat(MAX_REASON_BYTES - 1)}\ud83d\ude00`)).toBe('x'.repeat(MAX_REASON_BYTES - 1));
    expect(truncateReason(`${'x'.repeat(MAX_REASON_BYTES - 4)}\ud83d\ude00y`)).toBe(`${'x'.repeat(MAX_REASON_BYTES - 4)}\ud83d\ude00`);
  });
});

describe('random input', () => {
  const decoders = [decodeOffer, decodeChunk, decodeChunkRequest, decodeProgress];
  it('throws only ProtocolV2Error', () => {
    for (let run = 0; run < 2000; run++) {
      const bytes = randomBytes(Math.floor(Math.random() * 120));
      if (run % 3 === 0 && bytes.byteLength > 34) bytes.writeUInt16BE(1 + (run % 4), 32);
      for (const decode of decoders) {
        try {
          decode(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolV2Error);
        }
      }
    }
  });

  it('round-trips random chunk requests', () => {
    for (let run = 0; run < 200; run++) {
      let next = Math.floor(Math.random() * 10);
      const ranges = Array.from({ length: 1 + Math.floor(Math.random() * 64) }, () => {
        const range = { first: next, count: 1 + Math.floor(Math.random() * 1000) };
        next = range.first + range.count + Math.floor(Math.random() * 5);
        return range;
      });
      const request = { sha256: randomBytes(32).toString('hex'), ranges };
      expect(decodeChunkRequest(encodeChunkRequest(request))).toEqual(request);
    }
  });
});
