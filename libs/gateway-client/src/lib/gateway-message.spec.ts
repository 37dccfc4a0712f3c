import { encodeFrame, FrameDecodeErrorReason, PayloadErrorCode, payloadCrc32 } from '@upgrade-manager/frame-codec';
import { decodeGatewayMessage } from './gateway-message';

describe('decodeGatewayMessage', () => {
  it('decodes Latest Version on the broadcast topic', () => {
    const result = decodeGatewayMessage('TOGATEWAY/LATEST_VERSION', encodeFrame('{"version": 1.10}', 1764190000));
    expect(result).toEqual({
      ok: true,
      message: { type: 'LATEST_VERSION', topic: 'TOGATEWAY/LATEST_VERSION', broadcast: true, timestampSeconds: 1764190000, version: '1.10' },
    });
  });

  it('decodes Available Versions on the gateway topic', () => {
    const result = decodeGatewayMessage('TOGATEWAY/AVAILABLE_VERSIONS/gw-1', encodeFrame('{"versions":["0.5","1.0"]}', 5));
    expect(result).toEqual({
      ok: true,
      message: { type: 'AVAILABLE_VERSIONS', topic: 'TOGATEWAY/AVAILABLE_VERSIONS/gw-1', broadcast: false, timestampSeconds: 5, versions: ['0.5', '1.0'] },
    });
  });

  it.each(['UPGRADE', 'DOWNLOAD_UPGRADE'] as const)('passes %s content through byte for byte, without copying', (type) => {
    const content = Buffer.from([0x00, 0xff, 0x7f, 0x80, 0x0a, 0x20]);
    const frame = encodeFrame(content, 7);
    const result = decodeGatewayMessage(`TOGATEWAY/${type}/gw-1`, frame);
    if (!result?.ok || (result.message.type !== 'UPGRADE' && result.message.type !== 'DOWNLOAD_UPGRADE')) throw new Error('not decoded');
    expect(result.message.type).toBe(type);
    expect(result.message.content.equals(content)).toBe(true);
    expect(result.message.content.buffer).toBe(frame.buffer);
    expect(result.message.crc32).toBe(payloadCrc32(content));
  });

  it('reports a bad CRC as an invalid frame', () => {
    const frame = encodeFrame('1.2', 7);
    frame[frame.length - 1] ^= 0xff;
    expect(decodeGatewayMessage('TOGATEWAY/UPGRADE', frame)).toEqual({
      ok: false,
      invalid: expect.objectContaining({ topic: 'TOGATEWAY/UPGRADE', type: 'UPGRADE', reason: FrameDecodeErrorReason.CrcMismatch, size: 15 }),
    });
  });

  it('reports a truncated frame and a length mismatch as invalid frames', () => {
    expect(decodeGatewayMessage('TOGATEWAY/UPGRADE', Buffer.from([1, 2, 3]))).toMatchObject({
      ok: false,
      invalid: { reason: FrameDecodeErrorReason.TooShort },
    });
    const frame = encodeFrame('abc');
    expect(decodeGatewayMessage('TOGATEWAY/UPGRADE', frame.subarray(0, frame.length - 1))).toMatchObject({
      ok: false,
      invalid: { reason: FrameDecodeErrorReason.LengthMismatch },
    });
  });

  it('reports a well-framed but malformed JSON payload as an invalid frame', () => {
    expect(decodeGatewayMessage('TOGATEWAY/LATEST_VERSION', encodeFrame('{"version": "one"}'))).toMatchObject({
      ok: false,
      invalid: { reason: PayloadErrorCode.InvalidField },
    });
    expect(decodeGatewayMessage('TOGATEWAY/AVAILABLE_VERSIONS', encodeFrame('not json'))).toMatchObject({
      ok: false,
      invalid: { reason: PayloadErrorCode.MalformedJson },
    });
  });

  it('ignores topics that are not cloud → gateway protocol topics', () => {
    const frame = encodeFrame(' ');
    expect(decodeGatewayMessage('TOCLOUD/STATUS/gw-1', frame)).toBeNull();
    expect(decodeGatewayMessage('TOGATEWAY/SOMETHING_ELSE', frame)).toBeNull();
    expect(decodeGatewayMessage('other/topic', frame)).toBeNull();
  });

  it('never throws on random bytes', () => {
    for (let i = 0; i < 500; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(Math.random() * 40) }, () => Math.floor(Math.random() * 256)));
      for (const topic of ['TOGATEWAY/UPGRADE', 'TOGATEWAY/LATEST_VERSION/x', 'TOGATEWAY/AVAILABLE_VERSIONS']) {
        expect(() => decodeGatewayMessage(topic, bytes)).not.toThrow();
      }
    }
  });
});
