import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';

export interface BenchOptions {
  gateways: number;
  statuses: number;
  imageBytes: number;
  /** True when the default image size was reduced to keep N × S within MAX_FAN_OUT_BYTES. */
  imageBytesReduced: boolean;
  /** Gateways in the database while the list latency is measured. */
  listGateways: number;
  listRequests: number;
  connectConcurrency: number;
  skipIngest: boolean;
  skipRollout: boolean;
  skipList: boolean;
  /** Skip the bare fan-out (the rollouts' second denominator). */
  skipBare: boolean;
  /** One small rollout per mode through the API before the measured ones (see WARM_UP_IMAGE_BYTES). */
  warmUp: boolean;
  /** Only the raw-broker phases: no API, no database. */
  rawOnly: boolean;
  /** Where `<date>.json` and `<date>.md` go; null: write nothing. */
  resultsDir: string | null;
  /** Run the API child under `node --cpu-prof`, profiles next to the results. */
  profile: boolean;
  keepDatabase: boolean;
  /** Upper bound of every waiting step; null: derived from the sizes. */
  phaseTimeoutS: number | null;
  apiEntry: string;
  smoke: boolean;
  /** Also a staged rollout of this many equal phases through the rollout controller; null: none. */
  rolloutPhases: number | null;
  /** More than 1: ingest and rollouts again through this many API processes on one database and broker. */
  apiInstances: number;
  /** 2: the fleet also runs the protocol-v2 agent, and a v2 rollout (signed Offer, chunks) is measured last. */
  protocol: 1 | 2;
}

export const DEFAULT_RESULTS_DIR = 'bench/results';
export const DEFAULT_IMAGE_BYTES = 1024 ** 2;
/**
 * Bytes one rollout may fan out (N × S) unless --image-bytes is given: the simulated fleet lives
 * in one process, which can hold every gateway's partly received image at once.
 */
export const MAX_FAN_OUT_BYTES = 1024 ** 3;
export const DEFAULT_API_ENTRY = 'dist/apps/api/apps/api/src/main.js';
const SMOKE = { gateways: 20, statuses: 2, imageBytes: 64 * 1024, listGateways: 200, listRequests: 20 };
const UNITS: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1000, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3 };

/** `1048576`, `64KiB`, `1MiB`, `1.5MB` → bytes. */
export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[(match[2] ?? '').toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new InvalidArgumentError(`not a size: ${text} (use bytes or e.g. 64KiB, 1MiB)`);
  const bytes = Math.round(Number(match[1]) * unit);
  if (bytes < 1) throw new InvalidArgumentError('must be at least 1 byte');
  return bytes;
}

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(`not a positive integer: ${text}`);
  return value;
}

function protocolNumber(text: string): 1 | 2 {
  if (text === '1' || text === '2') return Number(text) as 1 | 2;
  throw new InvalidArgumentError(`not a protocol version: ${text} (1 or 2)`);
}

export function benchCommand(): Command {
  return new Command('bench')
    .description('Fleet-scale status ingest, rollout and list latency of the API, each next to the raw broker doing the same traffic.')
    .option('--gateways <n>', 'simulated gateways (N)', positiveInteger, 1000)
    .option('--statuses <k>', 'Status frames per gateway in the ingest phase (K)', positiveInteger, 10)
    .option(
      '--image-bytes <size>',
      'image size for the rollouts (S), e.g. 1MiB, 65536 (default 1 MiB, less when N × S would pass 1 GiB)',
      parseByteSize,
      DEFAULT_IMAGE_BYTES,
    )
    .option('--list-gateways <n>', 'gateways in the database while the list latency is measured (at least N)', positiveInteger, 10_000)
    .option('--list-requests <n>', 'measured requests of the gateway list', positiveInteger, 200)
    .option('--connect-concurrency <n>', 'gateway connections set up at once', positiveInteger, 100)
    .option('--skip-ingest', 'skip the status ingest phase')
    .option('--skip-rollout', 'skip both rollouts')
    .option('--skip-list', 'skip the list latency phase')
    .option('--skip-bare', 'skip the bare fan-out (plain subscribers that only count bytes)')
    .option('--no-warm-up', 'measure the first rollouts of a freshly started API (no small warm-up rollout per mode before them)')
    .option('--raw-only', 'only the raw-broker phases (no API, no database)')
    .option('--results-dir <dir>', 'where <date>.json and <date>.md are written', DEFAULT_RESULTS_DIR)
    .option('--no-save', 'print the table only')
    .option('--profile', 'run the API under node --cpu-prof; profiles are written next to the results')
    .option('--keep-db', 'keep the benchmark database afterwards (for inspection)')
    .option('--phase-timeout <seconds>', 'give up a waiting step after this long (default: derived from the sizes)', positiveInteger)
    .option('--api-entry <file>', 'the built API', DEFAULT_API_ENTRY)
    .option('--rollout-phases <n>', 'also a staged rollout to the fleet in N equal phases, through the rollout controller', positiveInteger)
    .option(
      '--api-instances <n>',
      'also measure ingest and rollouts through n API processes sharing the database and broker, next to one (what coordination costs)',
      positiveInteger,
      1,
    )
    .option('--protocol <n>', 'protocol 2: also a v2 rollout (Offer and chunks) to the fleet, after the v1 phases', protocolNumber, 1)
    .option('--smoke', `tiny run for the test suite (N=${SMOKE.gateways}, K=${SMOKE.statuses}, S=64 KiB), results in a temporary folder`);
}

interface RawOptions {
  gateways: number;
  statuses: number;
  imageBytes: number;
  listGateways: number;
  listRequests: number;
  connectConcurrency: number;
  skipIngest?: boolean;
  skipRollout?: boolean;
  skipList?: boolean;
  skipBare?: boolean;
  warmUp: boolean;
  rawOnly?: boolean;
  resultsDir: string;
  save: boolean;
  profile?: boolean;
  keepDb?: boolean;
  phaseTimeout?: number;
  apiEntry: string;
  smoke?: boolean;
  rolloutPhases?: number;
  apiInstances: number;
  protocol: 1 | 2;
}

/** Parses argv (as process.argv: node, script, args…). Throws CommanderError on bad input when `exitOverride` is set. */
export function parseBenchOptions(argv: readonly string[], command: Command = benchCommand()): BenchOptions {
  const raw = command.parse([...argv]).opts<RawOptions>();
  const smoke = raw.smoke === true;
  const sizes = smoke ? SMOKE : raw;
  const reduce = !smoke && command.getOptionValueSource('imageBytes') === 'default' && sizes.gateways * sizes.imageBytes > MAX_FAN_OUT_BYTES;
  return {
    gateways: sizes.gateways,
    statuses: sizes.statuses,
    imageBytes: reduce ? Math.floor(MAX_FAN_OUT_BYTES / sizes.gateways) : sizes.imageBytes,
    imageBytesReduced: reduce,
    listGateways: Math.max(sizes.listGateways, sizes.gateways),
    listRequests: sizes.listRequests,
    connectConcurrency: raw.connectConcurrency,
    skipIngest: raw.skipIngest === true,
    skipRollout: raw.skipRollout === true,
    skipList: raw.skipList === true,
    skipBare: raw.skipBare === true,
    warmUp: raw.warmUp,
    rawOnly: raw.rawOnly === true,
    resultsDir: !raw.save ? null : smoke && raw.resultsDir === DEFAULT_RESULTS_DIR ? join(tmpdir(), 'upgrade-manager-bench-smoke') : raw.resultsDir,
    profile: raw.profile === true,
    keepDatabase: raw.keepDb === true,
    phaseTimeoutS: raw.phaseTimeout ?? null,
    apiEntry: raw.apiEntry,
    smoke,
    rolloutPhases: raw.rolloutPhases ?? null,
    apiInstances: raw.apiInstances,
    protocol: raw.protocol,
  };
}
