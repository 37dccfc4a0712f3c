import { encodeFrame } from '@upgrade-manager/frame-codec';
import { decodeGatewayMessage, type GatewayMessage } from '@upgrade-manager/gateway-client';
import { describeInvalidFrame, describeSimEvent, logLine } from './message-log';

function message(topic: string, payload: string): GatewayMessage {
  const decoded = decodeGatewayMessage(topic, encodeFrame(payload));
  if (!decoded?.ok) throw new Error('bad test frame');
  return decoded.message;
}

describe('message log', () => {
  it.each([
    [{ kind: 'sent', gatewayId: 'g', type: 'STATUS', detail: '{"version":"0.5"}' }, '→ STATUS {"version":"0.5"}'],
    [{ kind: 'sent', gatewayId: 'g', type: 'REQUEST_LATEST_VERSION', detail: '' }, '→ REQUEST_LATEST_VERSION'],
    [{ kind: 'sendFailed', gatewayId: 'g', type: 'STATUS', error: 'gone' }, '✗ STATUS not sent: gone'],
    [{ kind: 'received', gatewayId: 'g', message: message('TOGATEWAY/LATEST_VERSION', '{"version":"1.2"}') }, '← LATEST_VERSION 1.2 (broadcast)'],
    [
      { kind: 'received', gatewayId: 'g', message: message('TOGATEWAY/AVAILABLE_VERSIONS/g', '{"versions":["0.5","1.2"]}') },
      '← AVAILABLE_VERSIONS [0.5, 1.2] (own topic)',
    ],
    [{ kind: 'received', gatewayId: 'g', message: message('TOGATEWAY/UPGRADE/g', '1.2') }, '← UPGRADE 3 bytes, CRC-32 0x19380e19 (own topic)'],
    [{ kind: 'downloaded', gatewayId: 'g', version: '1.2', size: 3 }, 'stored the content of 1.2 (3 bytes) to install later'],
    [{ kind: 'installing', gatewayId: 'g', version: '1.2', delayMs: 500 }, 'installing 1.2 (takes 500 ms)'],
    [{ kind: 'upgraded', gatewayId: 'g', from: '0.5', to: '1.2' }, 'upgraded 0.5 → 1.2'],
    [{ kind: 'upgradeFailed', gatewayId: 'g', attempted: '1.2', reported: '0.5' }, 'upgrade to 1.2 failed (simulated); reporting 0.5'],
  ] as const)('describes %j', (event, text) => {
    expect(describeSimEvent(event)).toBe(text);
  });

  it('describes an invalid frame and prefixes time and gateway', () => {
    expect(describeInvalidFrame({ topic: 'TOGATEWAY/UPGRADE', type: 'UPGRADE', reason: 'CRC_MISMATCH', message: 'CRC differs', size: 15 })).toBe(
      '← invalid frame on TOGATEWAY/UPGRADE (15 bytes), dropped: CRC_MISMATCH: CRC differs',
    );
    expect(logLine('gw-1', 'hello', new Date(Date.UTC(2025, 0, 1, 12, 34, 56, 789)))).toBe('12:34:56.789 gw-1 hello');
  });
});
