// Writes protocol-v2-vectors.json with Node's crypto and zlib only, independently of the codec,
// so the codec's tests check it against a second implementation. Run once:
//   node libs/protocol-v2/test/generate-vectors.mjs
// The TEST key is kept in the file (re-used on later runs, Ed25519 signatures are deterministic):
// it is public, and no product may ever trust it.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';

const FILE = join(dirname(fileURLToPath(import.meta.url)), 'protocol-v2-vectors.json');
const TS = 1764190000;

const previous = existsSync(FILE) ? JSON.parse(readFileSync(FILE, 'utf8')) : null;
const privateKey = previous ? createPrivateKey(previous.testKey.privateKeyPem) : generateKeyPairSync('ed25519').privateKey;
const rawPublic = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x, 'base64url');
const keyId = createHash('sha256').update(rawPublic).digest('hex').slice(0, 16);

function frame(payload) {
  const header = Buffer.alloc(12);
  header.writeInt32BE(TS, 0);
  header.writeInt32BE(payload.length, 4);
  header.writeInt32BE(payload.length === 0 ? 0 : crc32(payload) | 0, 8);
  return Buffer.concat([header, payload]);
}

const image = Buffer.alloc(2500);
for (let i = 0; i < image.length; i++) image[i] = (i * 31 + 7) & 0xff;
const sha256 = createHash('sha256').update(image).digest('hex');
const chunkSize = 1024;
const chunkCount = Math.ceil(image.length / chunkSize);
const manifest = { version: '1.2', size: image.length, sha256, keyId };
const canonical = Buffer.from(
  ['UPGRADE-MANAGER-MANIFEST-V2', `version:${manifest.version}`, `size:${manifest.size}`, `sha256:${sha256}`, `keyId:${keyId}`].map((l) => `${l}\n`).join(''),
  'ascii',
);
const signature = sign(null, canonical, privateKey);
const offer = {
  deploymentId: '6745a1b2c3d4e5f601234567',
  version: manifest.version,
  size: manifest.size,
  sha256,
  chunkSize,
  chunkCount,
  keyId,
  signature: signature.toString('base64'),
  shared: true,
};
const offerPayload = Buffer.from(JSON.stringify(offer), 'utf8');

const chunks = [];
for (let index = 0; index < chunkCount; index++) {
  const data = image.subarray(index * chunkSize, Math.min(image.length, (index + 1) * chunkSize));
  const header = Buffer.alloc(36);
  header.write(sha256, 0, 32, 'hex');
  header.writeUInt32BE(index, 32);
  const payload = Buffer.concat([header, data]);
  chunks.push({ index, dataLength: data.length, payloadHex: payload.toString('hex'), frameHex: frame(payload).toString('hex') });
}

function request(ranges) {
  const payload = Buffer.alloc(34 + ranges.length * 8);
  payload.write(sha256, 0, 32, 'hex');
  payload.writeUInt16BE(ranges.length, 32);
  ranges.forEach(([first, count], i) => {
    payload.writeUInt32BE(first, 34 + i * 8);
    payload.writeUInt32BE(count, 38 + i * 8);
  });
  return payload;
}
const requests = [
  { name: 'every chunk', ranges: [[0, 3]] },
  {
    name: 'the first and the last',
    ranges: [
      [0, 1],
      [2, 1],
    ],
  },
  { name: 'only the middle', ranges: [[1, 1]] },
].map(({ name, ranges }) => {
  const payload = request(ranges);
  return { name, ranges: ranges.map(([first, count]) => ({ first, count })), payloadHex: payload.toString('hex'), frameHex: frame(payload).toString('hex') };
});
const invalidRequests = [
  { name: 'no range', reason: 'V2_BAD_RANGE_COUNT', payloadHex: request([]).toString('hex') },
  {
    name: 'descending ranges',
    reason: 'V2_RANGES_NOT_ASCENDING',
    payloadHex: request([
      [2, 1],
      [0, 1],
    ]).toString('hex'),
  },
  {
    name: 'overlapping ranges',
    reason: 'V2_RANGES_NOT_ASCENDING',
    payloadHex: request([
      [0, 2],
      [1, 1],
    ]).toString('hex'),
  },
  { name: 'empty range', reason: 'V2_BAD_RANGE', payloadHex: request([[0, 0]]).toString('hex') },
  { name: 'a byte too many', reason: 'V2_TRAILING_BYTES', payloadHex: Buffer.concat([request([[0, 1]]), Buffer.from([0])]).toString('hex') },
  {
    name: 'range count larger than the bytes',
    reason: 'V2_TOO_SHORT',
    payloadHex: request([
      [0, 1],
      [1, 1],
    ])
      .subarray(0, 42)
      .toString('hex'),
  },
  {
    name: 'shorter than one range',
    reason: 'V2_TOO_SHORT',
    payloadHex: request([[0, 1]])
      .subarray(0, 40)
      .toString('hex'),
  },
];

const progress = [
  { deploymentId: offer.deploymentId, state: 'downloading', bytes: 2048 },
  { deploymentId: offer.deploymentId, state: 'downloaded', bytes: 2500 },
  { deploymentId: offer.deploymentId, state: 'verified', bytes: 2500 },
  { deploymentId: offer.deploymentId, state: 'installing' },
  { deploymentId: offer.deploymentId, state: 'succeeded' },
  { deploymentId: offer.deploymentId, state: 'failed', reason: 'health check exited with code 3' },
  { deploymentId: offer.deploymentId, state: 'rejected', reason: 'signature does not verify with key ' + keyId },
].map((message) => {
  const payload = Buffer.from(JSON.stringify(message), 'utf8');
  return { message, payloadHex: payload.toString('hex'), frameHex: frame(payload).toString('hex') };
});

const tamperedSignature = Buffer.from(signature);
tamperedSignature[0] ^= 0x01;

const vectors = {
  description:
    'Test vectors of Upgrade Manager protocol v2 (docs/protocol-v2.md). Every v2 message travels as the payload of a v1 frame (12-byte header: timestamp, length, CRC-32). Generated by generate-vectors.mjs with Node crypto/zlib.',
  frameTimestampSeconds: TS,
  testKey: {
    WARNING: 'TEST KEY, PUBLISHED ON PURPOSE. Never trust it on a device or a server: anyone can sign with it.',
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyBase64: rawPublic.toString('base64'),
    keyId,
    trustedKeysLine: `${keyId} ${rawPublic.toString('base64')}`,
  },
  image: { formula: 'byte[i] = (i * 31 + 7) & 0xff', size: image.length, sha256, hex: image.toString('hex') },
  manifest,
  canonicalManifestText: canonical.toString('ascii'),
  canonicalManifestHex: canonical.toString('hex'),
  signatureBase64: signature.toString('base64'),
  tamperedSignatureBase64: tamperedSignature.toString('base64'),
  offer: { message: offer, payloadText: offerPayload.toString('utf8'), frameHex: frame(offerPayload).toString('hex') },
  chunks,
  chunkRequests: requests,
  invalidChunkRequests: invalidRequests,
  progress,
  topics: {
    offer: 'TOGATEWAY/UPGRADE_OFFER/gw-1',
    chunk: 'TOGATEWAY/UPGRADE_CHUNK/gw-1',
    sharedChunk: `TOGATEWAY/UPGRADE_CHUNK_SHARED/${sha256}`,
    chunkRequest: 'TOCLOUD/REQUEST_CHUNKS/gw-1',
    progress: 'TOCLOUD/UPGRADE_PROGRESS/gw-1',
  },
};
writeFileSync(FILE, `${JSON.stringify(vectors, null, 2)}\n`);
console.log(`wrote ${FILE}`);
