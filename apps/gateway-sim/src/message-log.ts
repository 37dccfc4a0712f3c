import type { InvalidFrame } from '@upgrade-manager/gateway-client';
import type { SimEvent } from './simulated-gateway';

function where(broadcast: boolean): string {
  return broadcast ? 'broadcast' : 'own topic';
}

function crcHex(crc: number): string {
  return `0x${(crc >>> 0).toString(16).padStart(8, '0')}`;
}

/** The log line (without time and gateway) of one event of a single simulated gateway. */
export function describeSimEvent(event: SimEvent): string {
  switch (event.kind) {
    case 'sent':
      return `→ ${event.type}${event.detail ? ` ${event.detail}` : ''}`;
    case 'sendFailed':
      return `✗ ${event.type} not sent: ${event.error}`;
    case 'received': {
      const { message } = event;
      switch (message.type) {
        case 'LATEST_VERSION':
          return `← LATEST_VERSION ${message.version} (${where(message.broadcast)})`;
        case 'AVAILABLE_VERSIONS':
          return `← AVAILABLE_VERSIONS [${message.versions.join(', ')}] (${where(message.broadcast)})`;
        case 'UPGRADE':
        case 'DOWNLOAD_UPGRADE':
          return `← ${message.type} ${message.content.byteLength} bytes, CRC-32 ${crcHex(message.crc32)} (${where(message.broadcast)})`;
      }
      break;
    }
    case 'downloaded':
      return `stored ${event.version === null ? 'content of an unknown version' : `the content of ${event.version}`} (${event.size} bytes) to install later`;
    case 'installing':
      return `installing ${event.version}${event.delayMs ? ` (takes ${event.delayMs} ms)` : ''}`;
    case 'upgraded':
      return `upgraded ${event.from} → ${event.to}`;
    case 'upgradeFailed':
      return `upgrade to ${event.attempted} failed (simulated); reporting ${event.reported}`;
  }
}

export function describeInvalidFrame(invalid: InvalidFrame): string {
  return `← invalid frame on ${invalid.topic} (${invalid.size} bytes), dropped: ${invalid.reason}: ${invalid.message}`;
}

/** `12:34:56.789 gw-1 <text>` */
export function logLine(gatewayId: string, text: string, at: Date = new Date()): string {
  return `${at.toISOString().slice(11, 23)} ${gatewayId} ${text}`;
}
