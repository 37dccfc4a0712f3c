import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { isValidGatewayId, isValidVersion } from '@upgrade-manager/frame-codec';

export interface SimOptions {
  gatewayId: string;
  companyId: string;
  /** Null: one gateway named gatewayId; N: a fleet `<gatewayId>-1..N`. */
  count: number | null;
  url: string;
  username: string | undefined;
  password: string | undefined;
  /** CA file the broker's certificate is verified against (TLS URLs only). */
  caFile: string | undefined;
  rejectUnauthorized: boolean;
  clean: boolean;
  version: string;
  intervalMs: number;
  upgradeDelayMs: number;
  failRate: number;
  concurrency: number;
  connectTimeoutMs: number;
  /** 1 (default) or 2 (chunked, signed delivery: docs/protocol-v2.md). */
  protocol: 1 | 2;
  /** Protocol 2: where each gateway keeps its download (`<stateDir>/<gatewayId>`). */
  stateDir: string;
  /** Protocol 2: trusted public keys (`<keyId> <base64>` lines, `npm run keys -- public`). */
  trustedKeyFile: string | undefined;
  /** Protocol 2: exit once this many chunk bytes arrived (to test resume); null: never. */
  exitAfterBytes: number | null;
  /** Protocol 2: share of received chunks dropped (to test re-requests). */
  dropRate: number;
}

/** The flags as commander parses them: strings, or true for switches. */
export interface SimFlags {
  count?: string;
  url?: string;
  username?: string;
  password?: string;
  ca?: string;
  insecure?: boolean;
  tls?: boolean;
  clean?: boolean;
  version?: string;
  interval?: string;
  upgradeDelay?: string;
  failRate?: string;
  concurrency?: string;
  connectTimeout?: string;
  protocol?: string;
  stateDir?: string;
  exitAfterBytes?: string;
  dropRate?: string;
  trustedKey?: string;
}

export class SimOptionsError extends Error {
  override readonly name = 'SimOptionsError';
}

export const INSECURE_URL = 'mqtt://127.0.0.1:1883';
export const MAX_COUNT = 100_000;
const DEFAULT_CA_FILE = 'certs/out/ca.crt';
const DEFAULT_STATE_DIR = '.data/gateway-sim';

export function buildProgram(): Command {
  return new Command()
    .name('gateway-sim')
    .description('Simulates field gateways speaking protocol version 1 over MQTT (SPEC §1, §3).')
    .argument('<gatewayId>', 'gateway id and MQTT client id; with --count the prefix of the ids <gatewayId>-1..N')
    .argument('<companyId>', 'company reported in Status')
    .option('--count <n>', 'simulate a fleet of N gateways in this process; prints one progress line')
    .option('--url <url>', 'broker URL (default: the TLS listener mqtts://localhost:<MQTT_TLS_PORT|8883>, verified against the CA)')
    .option('--username <name>', 'broker user (default: MQTT_GATEWAY_USERNAME from .env)')
    .option('--password <password>', 'broker password (default: MQTT_GATEWAY_PASSWORD from .env)')
    .option('--ca <file>', 'CA certificate to verify the broker against (default: MQTT_TLS_CA_FILE|certs/out/ca.crt)')
    .option('--insecure', `plain MQTT on ${INSECURE_URL} (unless --url), no TLS verification`)
    .option('--tls', 'MQTT over TLS on mqtts://localhost:<MQTT_TLS_PORT|8883> with the CA MQTT_TLS_CA_FILE|certs/out/ca.crt (the default)')
    .option('--clean', 'clean sessions (default: persistent sessions, as in the field)')
    .option('--version <version>', 'software version the gateways run at start', '0.5')
    .option('--interval <s>', 'seconds between the periodic Request Latest/Available Versions', '60')
    .option('--upgrade-delay <ms>', 'milliseconds an installation takes before Status is sent', '0')
    .option('--fail-rate <0..1>', 'share of installations that fail and report the old version', '0')
    .option('--concurrency <n>', 'connections set up at once in a fleet', '100')
    .option('--connect-timeout <s>', 'give up a gateway that cannot connect within this many seconds', '30')
    .option('--protocol <1|2>', 'gateway protocol: 1 (one-message Upgrade) or 2 (chunked, resumable, signed: docs/protocol-v2.md)', '1')
    .option('--state-dir <dir>', 'protocol 2: where each gateway keeps its download and installed image (<dir>/<gatewayId>)', DEFAULT_STATE_DIR)
    .option('--trusted-key <file>', 'protocol 2: trusted public keys, "<keyId> <base64>" lines (npm run keys -- public > file); required with --protocol 2')
    .option('--exit-after-bytes <n>', 'protocol 2: exit once this many chunk bytes arrived (then start again to resume)')
    .option('--drop-rate <0..1>', 'protocol 2: share of received chunks dropped, as if lost', '0')
    .showHelpAfterError();
}

function number(flag: string, text: string, check: (value: number) => boolean, expected: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !check(value)) {
    throw new SimOptionsError(`--${flag} must be ${expected}, got ${JSON.stringify(text)}`);
  }
  return value;
}

const positiveInteger = (value: number) => Number.isInteger(value) && value > 0;

/** Validates the arguments and fills the defaults from the environment (.env). */
export function resolveSimOptions(
  gatewayId: string,
  companyId: string,
  flags: SimFlags,
  env: Record<string, string | undefined>,
  root: string,
  fileExists: (path: string) => boolean = existsSync,
): SimOptions {
  const count = flags.count === undefined ? null : number('count', flags.count, (n) => positiveInteger(n) && n <= MAX_COUNT, `an integer in 1..${MAX_COUNT}`);
  const lastId = count === null ? gatewayId : `${gatewayId}-${count}`;
  if (!isValidGatewayId(gatewayId) || !isValidGatewayId(lastId)) {
    throw new SimOptionsError(`invalid gatewayId ${JSON.stringify(gatewayId)}: no "/", "+", "#" or control characters, at most 256 characters`);
  }
  if (companyId.trim() === '') throw new SimOptionsError('companyId must not be empty');
  const version = flags.version ?? '0.5';
  if (!isValidVersion(version)) throw new SimOptionsError(`--version must be a dotted number like 0.5, got ${JSON.stringify(version)}`);
  if (flags.insecure && flags.tls) throw new SimOptionsError('--insecure and --tls exclude each other');

  const caDefault = resolve(root, env['MQTT_TLS_CA_FILE'] || DEFAULT_CA_FILE);
  // Like a gateway in the field: TLS verified against the CA unless told otherwise (SPEC §3).
  const defaultTls = flags.url === undefined && !flags.insecure;
  const url = flags.url ?? (flags.insecure ? INSECURE_URL : `mqtts://localhost:${env['MQTT_TLS_PORT'] || 8883}`);
  const tls = /^(mqtts|ssl|tls|wss):/.test(url);
  let caFile = flags.ca === undefined ? undefined : resolve(flags.ca);
  if (caFile === undefined && tls && !flags.insecure && (defaultTls || fileExists(caDefault))) caFile = caDefault;

  const options: SimOptions = {
    gatewayId,
    companyId,
    count,
    url,
    username: flags.username ?? env['MQTT_GATEWAY_USERNAME'],
    password: flags.password ?? env['MQTT_GATEWAY_PASSWORD'],
    caFile,
    rejectUnauthorized: !flags.insecure,
    clean: flags.clean ?? false,
    version,
    intervalMs: Math.round(number('interval', flags.interval ?? '60', (s) => s > 0, 'a positive number of seconds') * 1000),
    upgradeDelayMs: number('upgrade-delay', flags.upgradeDelay ?? '0', (ms) => Number.isInteger(ms) && ms >= 0, 'a whole number of milliseconds'),
    failRate: number('fail-rate', flags.failRate ?? '0', (rate) => rate >= 0 && rate <= 1, 'a number in 0..1'),
    concurrency: number('concurrency', flags.concurrency ?? '100', positiveInteger, 'a positive integer'),
    connectTimeoutMs: Math.round(number('connect-timeout', flags.connectTimeout ?? '30', (s) => s > 0, 'a positive number of seconds') * 1000),
    protocol: number('protocol', flags.protocol ?? '1', (p) => p === 1 || p === 2, '1 or 2') as 1 | 2,
    stateDir: resolve(root, flags.stateDir ?? DEFAULT_STATE_DIR),
    trustedKeyFile: flags.trustedKey === undefined ? undefined : resolve(flags.trustedKey),
    exitAfterBytes:
      flags.exitAfterBytes === undefined ? null : number('exit-after-bytes', flags.exitAfterBytes, positiveInteger, 'a positive whole number of bytes'),
    dropRate: number('drop-rate', flags.dropRate ?? '0', (rate) => rate >= 0 && rate < 1, 'a number in 0..1 (below 1)'),
  };
  if (options.protocol === 2 && options.trustedKeyFile === undefined) {
    throw new SimOptionsError('--protocol 2 needs --trusted-key <file>: the public keys the gateways trust (npm run keys -- public > trusted.keys)');
  }
  if (options.protocol === 1 && (flags.exitAfterBytes !== undefined || options.dropRate > 0 || flags.trustedKey !== undefined)) {
    throw new SimOptionsError('--exit-after-bytes, --drop-rate and --trusted-key apply to --protocol 2 only');
  }
  if (options.trustedKeyFile !== undefined && !fileExists(options.trustedKeyFile))
    throw new SimOptionsError(`trusted keys file ${options.trustedKeyFile} not found`);
  // Checked last, so that a mistyped flag is reported first.
  if (caFile !== undefined && !fileExists(caFile)) {
    throw new SimOptionsError(
      `CA file ${caFile} not found: \`npm run services:start\` creates certs/out/ca.crt; or pass --ca <file>, or --insecure for the plain listener`,
    );
  }
  return options;
}
