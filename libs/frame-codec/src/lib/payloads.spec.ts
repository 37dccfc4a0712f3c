import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PayloadError, PayloadErrorCode } from './payload.error';
import {
  EMPTY_REQUEST_PAYLOAD,
  MAX_COMPANY_ID_LENGTH,
  MAX_JSON_PAYLOAD_LENGTH,
  availableVersionsPayload,
  isEmptyRequestPayload,
  latestVersionPayload,
  parseAvailableVersionsPayload,
  parseLatestVersionPayload,
  parseStatusPayload,
  parseVersionRequestPayload,
  statusPayload,
  versionRequestPayload,
} from './payloads';

const VECTORS_PATH = path.join(__dirname, '../../test/legacy-frame-vectors.json');
const vectorPayload = (name: string): Buffer => {
  const { vectors } = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as { vectors: { name: string; payloadHex: string }[] };
  const vector = vectors.find((candidate) => candidate.name === name);
  if (!vector) throw new Error(`no vector ${name}`);
  return Buffer.from(vector.payloadHex, 'hex');
};

const json = (text: string): Buffer => Buffer.from(text, 'utf8');

function payloadError(parse: () => unknown): PayloadError {
  try {
    parse();
  } catch (error) {
    if (error instanceof PayloadError) return error;
    throw error;
  }
  throw new Error('no PayloadError thrown');
}

describe('parseStatusPayload', () => {
  it('reads the shared status vector', () => {
    expect(parseStatusPayload(vectorPayload('status'))).toEqual({
      companyId: '2',
      version: '0.5',
      lastUpgradeAt: 1764190000123,
    });
  });

  it.each([
    ['strings', '{"companyId": "2", "version": "1.0", "timestamp": 1764190000123}', { companyId: '2', version: '1.0', lastUpgradeAt: 1764190000123 }],
    [
      'numbers, with the float literal kept',
      '{"companyId": 2, "version": 1.0, "timestamp": 1764190000123}',
      { companyId: '2', version: '1.0', lastUpgradeAt: 1764190000123 },
    ],
    ['an integer version number', '{"companyId": 3, "version": 2}', { companyId: '3', version: '2', lastUpgradeAt: null }],
    ['a multi-digit float', '{"companyId":"2","version":1.10}', { companyId: '2', version: '1.10', lastUpgradeAt: null }],
    ['a null timestamp', '{"companyId":"2","version":"1.0","timestamp":null}', { companyId: '2', version: '1.0', lastUpgradeAt: null }],
    [
      'a digit-string timestamp',
      '{"companyId":"2","version":"1.0","timestamp":"1764190000123"}',
      { companyId: '2', version: '1.0', lastUpgradeAt: 1764190000123 },
    ],
    [
      'a fractional timestamp',
      '{"companyId":"2","version":"1.0","timestamp":1764190000123.7}',
      { companyId: '2', version: '1.0', lastUpgradeAt: 1764190000123 },
    ],
    ['unknown fields', '{"companyId":"acme","version":"0.5","extra":{"version":9.9},"list":[1.5]}', { companyId: 'acme', version: '0.5', lastUpgradeAt: null }],
    [
      'a nested "version" before the real one',
      '{"meta":{"version":7.0},"companyId":"2","version":1.0}',
      { companyId: '2', version: '1.0', lastUpgradeAt: null },
    ],
    [
      '"version" text inside a string value',
      '{"note":"\\"version\\":9.0","companyId":"2","version":1.0}',
      { companyId: '2', version: '1.0', lastUpgradeAt: null },
    ],
    [
      'a duplicate key (the last wins, as in JSON.parse)',
      '{"companyId":"2","version":1.0,"version":2.50}',
      { companyId: '2', version: '2.50', lastUpgradeAt: null },
    ],
    ['whitespace and a byte-order mark', '\ufeff \n{ "companyId" : "2" ,\t"version" : 1.0 }\n', { companyId: '2', version: '1.0', lastUpgradeAt: null }],
    ['an escaped key', '{"companyId":"2","vers\\u0069on":3.0}', { companyId: '2', version: '3.0', lastUpgradeAt: null }],
  ])('accepts %s', (_label, text, expected) => {
    expect(parseStatusPayload(json(text))).toEqual(expected);
  });

  it.each([
    ['empty', '', PayloadErrorCode.MalformedJson, undefined],
    ['a single space', ' ', PayloadErrorCode.MalformedJson, undefined],
    ['truncated JSON', '{"companyId":"2","version":', PayloadErrorCode.MalformedJson, undefined],
    ['single quotes', "{'companyId':'2','version':'1.0'}", PayloadErrorCode.MalformedJson, undefined],
    ['an array', '["2","1.0"]', PayloadErrorCode.NotAnObject, undefined],
    ['a string', '"1.0"', PayloadErrorCode.NotAnObject, undefined],
    ['null', 'null', PayloadErrorCode.NotAnObject, undefined],
    ['no companyId', '{"version":"1.0"}', PayloadErrorCode.MissingField, 'companyId'],
    ['a null companyId', '{"companyId":null,"version":"1.0"}', PayloadErrorCode.MissingField, 'companyId'],
    ['no version', '{"companyId":"2"}', PayloadErrorCode.MissingField, 'version'],
    ['an empty companyId', '{"companyId":"","version":"1.0"}', PayloadErrorCode.InvalidField, 'companyId'],
    ['a blank companyId', '{"companyId":"  ","version":"1.0"}', PayloadErrorCode.InvalidField, 'companyId'],
    ['a too long companyId', `{"companyId":"${'c'.repeat(MAX_COMPANY_ID_LENGTH + 1)}","version":"1.0"}`, PayloadErrorCode.InvalidField, 'companyId'],
    ['a control character in companyId', '{"companyId":"a\\nb","version":"1.0"}', PayloadErrorCode.InvalidField, 'companyId'],
    ['a companyId the API would refuse (a space)', '{"companyId":"a b","version":"1.0"}', PayloadErrorCode.InvalidField, 'companyId'],
    ['a companyId the API would refuse (a path)', '{"companyId":"../2","version":"1.0"}', PayloadErrorCode.InvalidField, 'companyId'],
    ['a fractional companyId', '{"companyId":2.5,"version":"1.0"}', PayloadErrorCode.InvalidField, 'companyId'],
    ['a negative companyId', '{"companyId":-2,"version":"1.0"}', PayloadErrorCode.InvalidField, 'companyId'],
    ['an object companyId', '{"companyId":{},"version":"1.0"}', PayloadErrorCode.InvalidField, 'companyId'],
    ['a non-numeric version', '{"companyId":"2","version":"latest"}', PayloadErrorCode.InvalidField, 'version'],
    ['a pre-release version', '{"companyId":"2","version":"1.0-beta"}', PayloadErrorCode.InvalidField, 'version'],
    ['an empty version', '{"companyId":"2","version":""}', PayloadErrorCode.InvalidField, 'version'],
    ['a negative version number', '{"companyId":"2","version":-1.0}', PayloadErrorCode.InvalidField, 'version'],
    ['an exponent version number', '{"companyId":"2","version":1e3}', PayloadErrorCode.InvalidField, 'version'],
    ['a boolean version', '{"companyId":"2","version":true}', PayloadErrorCode.InvalidField, 'version'],
    ['an array version', '{"companyId":"2","version":["1.0"]}', PayloadErrorCode.InvalidField, 'version'],
    ['a negative timestamp', '{"companyId":"2","version":"1.0","timestamp":-1}', PayloadErrorCode.InvalidField, 'timestamp'],
    ['a text timestamp', '{"companyId":"2","version":"1.0","timestamp":"yesterday"}', PayloadErrorCode.InvalidField, 'timestamp'],
    ['a timestamp beyond Date', '{"companyId":"2","version":"1.0","timestamp":9e15}', PayloadErrorCode.InvalidField, 'timestamp'],
  ])('rejects %s', (_label, text, code, field) => {
    const error = payloadError(() => parseStatusPayload(json(text)));
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
    expect(error.name).toBe('PayloadError');
    expect(error.message).not.toBe('');
  });

  it('rejects invalid UTF-8', () => {
    expect(payloadError(() => parseStatusPayload(Buffer.from([0x7b, 0xff, 0x7d]))).code).toBe(PayloadErrorCode.InvalidUtf8);
  });

  it('rejects a payload over the size limit before parsing it', () => {
    const big = Buffer.alloc(MAX_JSON_PAYLOAD_LENGTH + 1, 0x20);
    expect(payloadError(() => parseStatusPayload(big)).code).toBe(PayloadErrorCode.TooLarge);
  });

  it('rejects an executable image sent by mistake without crashing', () => {
    const image = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) & 0xff));
    expect(payloadError(() => parseStatusPayload(image))).toBeInstanceOf(PayloadError);
  });
});

describe('parseVersionRequestPayload and parseLatestVersionPayload', () => {
  it('read the shared request-upgrade and latest-version vectors', () => {
    expect(parseVersionRequestPayload(vectorPayload('request-upgrade'))).toEqual({ version: '1.0' });
    expect(parseLatestVersionPayload(vectorPayload('latest-version'))).toEqual({ version: '1.0' });
  });

  it.each([
    ['{"version":"0.5"}', '0.5'],
    ['{"version":0.5}', '0.5'],
    ['{"version":1.0}', '1.0'],
    ['{"version":1}', '1'],
    ['{"version":1.10}', '1.10'],
    ['{"version":"1.2.3"}', '1.2.3'],
  ])('reads %s as %p', (text, version) => {
    expect(parseVersionRequestPayload(json(text))).toEqual({ version });
  });

  it.each([
    ['', PayloadErrorCode.MalformedJson],
    [' ', PayloadErrorCode.MalformedJson],
    ['{}', PayloadErrorCode.MissingField],
    ['{"version":"1.0.x"}', PayloadErrorCode.InvalidField],
    ['{"version":1.5e1}', PayloadErrorCode.InvalidField],
    ['1.0', PayloadErrorCode.NotAnObject],
  ])('rejects %p with %s', (text, code) => {
    expect(payloadError(() => parseVersionRequestPayload(json(text))).code).toBe(code);
  });
});

describe('parseAvailableVersionsPayload', () => {
  it('reads the shared available-versions vector', () => {
    expect(parseAvailableVersionsPayload(vectorPayload('available-versions'))).toEqual({ versions: ['0.5', '1.0', '1.1'] });
  });

  it('keeps number literals as written and the order as sent', () => {
    expect(parseAvailableVersionsPayload(json('{"versions": [1.10, "0.5", 2.0, 3]}'))).toEqual({
      versions: ['1.10', '0.5', '2.0', '3'],
    });
    expect(parseAvailableVersionsPayload(json('{"versions":[]}'))).toEqual({ versions: [] });
  });

  it.each([
    ['{"versions":"1.0"}', PayloadErrorCode.InvalidField],
    ['{"versions":["1.0","beta"]}', PayloadErrorCode.InvalidField],
    ['{"versions":[null]}', PayloadErrorCode.InvalidField],
    ['{}', PayloadErrorCode.MissingField],
  ])('rejects %p with %s', (text, code) => {
    expect(payloadError(() => parseAvailableVersionsPayload(json(text))).code).toBe(code);
  });
});

describe('isEmptyRequestPayload', () => {
  it.each([
    ['empty', Buffer.alloc(0), true],
    ['a single space (legacy gateways)', Buffer.from(' '), true],
    ['the EMPTY_REQUEST_PAYLOAD constant', Buffer.from(EMPTY_REQUEST_PAYLOAD), true],
    ['spaces, tabs and newlines', Buffer.from(' \t\r\n '), true],
    ['a plain Uint8Array of spaces', new Uint8Array([0x20, 0x20]), true],
    ['JSON', Buffer.from('{}'), false],
    ['a space then text', Buffer.from(' x'), false],
    ['a NUL byte', Buffer.from([0]), false],
    ['a non-breaking space', Buffer.from('\u00a0'), false],
  ])('%s -> %p', (_label, payload, expected) => {
    expect(isEmptyRequestPayload(payload)).toBe(expected);
  });
});

describe('payload builders', () => {
  it('produce the exact bytes of the shared vectors', () => {
    expect(latestVersionPayload('1.0')).toEqual(vectorPayload('latest-version'));
    expect(versionRequestPayload('1.0')).toEqual(vectorPayload('request-upgrade'));
    expect(availableVersionsPayload(['0.5', '1.0', '1.1'])).toEqual(vectorPayload('available-versions'));
    expect(statusPayload({ companyId: '2', version: '0.5', timestamp: 1764190000123 })).toEqual(vectorPayload('status'));
  });

  it('omit a missing status timestamp', () => {
    expect(statusPayload({ companyId: '2', version: '0.5' }).toString()).toBe('{"companyId":"2","version":"0.5"}');
    expect(statusPayload({ companyId: '2', version: '0.5', timestamp: null }).toString()).toBe('{"companyId":"2","version":"0.5"}');
  });

  it('round-trip through the parsers', () => {
    expect(parseStatusPayload(statusPayload({ companyId: 'acme', version: '1.10', timestamp: 5 }))).toEqual({
      companyId: 'acme',
      version: '1.10',
      lastUpgradeAt: 5,
    });
    expect(parseLatestVersionPayload(latestVersionPayload('2.0.1'))).toEqual({ version: '2.0.1' });
    expect(parseAvailableVersionsPayload(availableVersionsPayload(['1.9', '1.10']))).toEqual({ versions: ['1.9', '1.10'] });
  });

  it.each([
    ['latestVersionPayload', () => latestVersionPayload('1.0-beta'), 'version'],
    ['versionRequestPayload', () => versionRequestPayload(''), 'version'],
    ['availableVersionsPayload', () => availableVersionsPayload(['1.0', 'x']), 'versions'],
    ['statusPayload version', () => statusPayload({ companyId: '2', version: 'v1' }), 'version'],
    ['statusPayload companyId', () => statusPayload({ companyId: '', version: '1.0' }), 'companyId'],
    ['statusPayload timestamp', () => statusPayload({ companyId: '2', version: '1.0', timestamp: -1 }), 'timestamp'],
    ['statusPayload fractional timestamp', () => statusPayload({ companyId: '2', version: '1.0', timestamp: 1.5 }), 'timestamp'],
  ])('%s refuses an invalid field', (_label, build, field) => {
    const error = payloadError(build);
    expect(error.code).toBe(PayloadErrorCode.InvalidField);
    expect(error.field).toBe(field);
  });
});

describe('the protocol field of Status (v2 capability)', () => {
  it('is read when present and absent for v1 gateways', () => {
    expect(parseStatusPayload(Buffer.from('{"companyId":"2","version":"1.0","protocol":2}'))).toEqual({
      companyId: '2',
      version: '1.0',
      lastUpgradeAt: null,
      protocol: 2,
    });
    expect(parseStatusPayload(Buffer.from('{"companyId":"2","version":"1.0","protocol":null}'))).not.toHaveProperty('protocol');
  });

  it.each(['"2"', '3', '0', '1.5'])('refuses protocol %s', (value) => {
    expect(payloadError(() => parseStatusPayload(Buffer.from(`{"companyId":"2","version":"1.0","protocol":${value}}`))).field).toBe('protocol');
  });

  it('is written only when given', () => {
    expect(statusPayload({ companyId: '2', version: '1.0', protocol: 2 }).toString()).toBe('{"companyId":"2","version":"1.0","protocol":2}');
    expect(statusPayload({ companyId: '2', version: '1.0' }).toString()).toBe('{"companyId":"2","version":"1.0"}');
  });
});
