import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface FramedVector {
  payloadHex: string;
  frameHex: string;
}

export interface ProtocolV2Vectors {
  frameTimestampSeconds: number;
  testKey: { privateKeyPem: string; publicKeyBase64: string; keyId: string; trustedKeysLine: string };
  image: { size: number; sha256: string; hex: string };
  manifest: { version: string; size: number; sha256: string; keyId: string };
  canonicalManifestText: string;
  canonicalManifestHex: string;
  signatureBase64: string;
  tamperedSignatureBase64: string;
  offer: { message: Record<string, unknown>; payloadText: string; frameHex: string };
  chunks: (FramedVector & { index: number; dataLength: number })[];
  chunkRequests: (FramedVector & { name: string; ranges: { first: number; count: number }[] })[];
  invalidChunkRequests: { name: string; reason: string; payloadHex: string }[];
  progress: (FramedVector & { message: Record<string, unknown> })[];
  topics: Record<'offer' | 'chunk' | 'sharedChunk' | 'chunkRequest' | 'progress', string>;
}

/** The committed vectors of docs/protocol-v2.md (made by test/generate-vectors.mjs). */
export const vectors = JSON.parse(readFileSync(path.join(__dirname, '../../test/protocol-v2-vectors.json'), 'utf8')) as ProtocolV2Vectors;
