import { MAX_JSON_MESSAGE_BYTES } from './limits';
import { ProtocolV2Error, ProtocolV2ErrorReason } from './protocol-v2.error';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Key ids and deployment ids: 1..64 of letters, digits, `.`, `_`, `-`. */
export const TOKEN = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function invalid(field: string, reason: string): ProtocolV2Error {
  return new ProtocolV2Error(ProtocolV2ErrorReason.InvalidField, `"${field}" ${reason}`, field);
}

/** A JSON object of at most MAX_JSON_MESSAGE_BYTES UTF-8 bytes. */
export function readJsonObject(payload: Uint8Array): Record<string, unknown> {
  if (payload.byteLength > MAX_JSON_MESSAGE_BYTES) {
    throw new ProtocolV2Error(ProtocolV2ErrorReason.TooLarge, `message has ${payload.byteLength} bytes, more than ${MAX_JSON_MESSAGE_BYTES}`);
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    throw new ProtocolV2Error(ProtocolV2ErrorReason.InvalidUtf8, 'message is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProtocolV2Error(ProtocolV2ErrorReason.MalformedJson, `message is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolV2Error(ProtocolV2ErrorReason.MalformedJson, 'message is not a JSON object');
  }
  return value as Record<string, unknown>;
}

export function field(fields: Record<string, unknown>, name: string): unknown {
  const value = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (value === undefined || value === null) throw new ProtocolV2Error(ProtocolV2ErrorReason.MissingField, `"${name}" is missing`, name);
  return value;
}

export function stringMatching(value: unknown, name: string, pattern: RegExp, expected: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw invalid(name, `must be ${expected}`);
  return value;
}

export function integerIn(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(name, `must be an integer in ${min}..${max}`);
  }
  return value;
}

/** Standard base64 (with padding) of exactly `bytes` bytes. */
export function base64Of(value: unknown, name: string, bytes: number): Buffer {
  if (typeof value !== 'string' || !BASE64.test(value)) throw invalid(name, `must be base64 of ${bytes} bytes`);
  const decoded = Buffer.from(value, 'base64');
  if (decoded.byteLength !== bytes || decoded.toString('base64') !== value) throw invalid(name, `must be base64 of ${bytes} bytes`);
  return decoded;
}
