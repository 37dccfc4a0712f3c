import type { FleetStart } from './bench-fleet';
import type { ResourceUsage } from './process-stats';
import type { RolloutMode } from './raw-broker';
import type { LatencySummary } from './stats';
import { renderScaleOut, type ScaleOutResult } from './scale-out-result';

/** CPU and peak memory of the processes involved, over one phase. */
/**
 * `cloud` is the raw baseline's cloud-side process, `api` the API, `bench` the simulated gateways,
 * `database` FerretDB (or mongod), `postgresql` the PostgreSQL cluster under FerretDB (its
 * postmaster and every backend) when that is the backend.
 */
export type PhaseResources = Partial<Record<'api' | 'cloud' | 'broker' | 'database' | 'postgresql' | 'bench', ResourceUsage>>;

/** Server-side CPU seconds of one phase: null when not measured. */
export interface ServerCpu {
  /** The broker alone, in the bare fan-out. */
  bare?: number | null;
  /** The broker alone, in the raw phase. */
  raw: number | null;
  /** API + database (FerretDB and its PostgreSQL, or mongod) + broker, in the product phase. */
  product: number | null;
}

const SERVER_PROCESSES: Record<'raw' | 'product', readonly (keyof PhaseResources)[]> = {
  raw: ['broker'],
  product: ['api', 'database', 'postgresql', 'broker'],
};

/** CPU seconds of the server side: the broker alone (raw), or API + database + broker (product); null when the broker was not measured. */
export function serverCpuSeconds(usage: PhaseResources | null, side: 'raw' | 'product'): number | null {
  if (!usage?.broker) return null;
  return SERVER_PROCESSES[side].reduce((sum, name) => sum + (usage[name]?.cpuSeconds ?? 0), 0);
}

/** a / b, or null when either is missing or b is zero. */
export function ratioOf(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;
}

export interface IngestResult {
  messages: number;
  raw: { seconds: number; rate: number };
  /** Null until measured (or when the run stopped before). */
  product: { seconds: number; rate: number } | null;
  /** product rate / raw rate */
  ratio: number | null;
  resources: { raw: PhaseResources; product: PhaseResources | null };
  serverCpu: ServerCpu;
  /** serverCpu.product / serverCpu.raw */
  serverCpuRatio: number | null;
}

export interface RolloutResult {
  mode: RolloutMode;
  targets: number;
  imageBytes: number;
  raw: { seconds: number; deliveredSeconds: number };
  /** Plain subscribers that only count bytes and reply once (no decoding, no checks); null when not run. */
  bare: { seconds: number; deliveredSeconds: number } | null;
  product: {
    seconds: number;
    deliveredSeconds: number;
    /** The POST /api/deployments round trip alone, as the bench saw it (its event loop also runs the fleet, so this includes the fleet's lag). */
    requestSeconds: number;
    /** The same request as the API measured it (http_request_duration_seconds); null when the API did not report it. */
    serverRequestSeconds?: number | null;
    confirmed: number;
  } | null;
  /** product time / raw time */
  ratio: number | null;
  /** product time / bare fan-out time */
  bareRatio: number | null;
  resources: { bare: PhaseResources | null; raw: PhaseResources; product: PhaseResources | null };
  serverCpu: ServerCpu;
  /** serverCpu.product / serverCpu.raw (the broker's CPU in the raw phase) */
  serverCpuRatio: number | null;
}

/** A protocol-v2 rollout (signed Offer, shared chunk stream, chunk requests) to the listed fleet, next to the raw list rollout. */
export interface V2RolloutResult {
  targets: number;
  imageBytes: number;
  /** The raw broker's list rollout of the same image (null when it could not run: an image larger than one MQTT packet). */
  raw: { seconds: number; deliveredSeconds: number } | null;
  product: { seconds: number; deliveredSeconds: number; requestSeconds: number; confirmed: number } | null;
  /** product time / raw list rollout time */
  ratio: number | null;
  /** Peak resident memory of the API and of the broker during the v2 rollout. */
  apiPeakRssBytes: number | null;
  brokerPeakRssBytes: number | null;
  /** Chunks the API published during the v2 rollout once for the fleet on the shared stream ... */
  sharedChunks: number | null;
  /** ... and answering the gateways' chunk requests. */
  requestedChunks: number | null;
  resources: { raw: PhaseResources | null; product: PhaseResources | null };
  serverCpu: ServerCpu;
  serverCpuRatio: number | null;
}

/** A staged rollout through the rollout controller: equal phases, each advancing when all its targets are confirmed. */
export interface StagedRolloutResult {
  targets: number;
  phases: number;
  imageBytes: number;
  seconds: number;
  confirmed: number;
  /** Targets confirmed, failed or skipped when the rollout finished. */
  decided: number;
  /** Controller ticks during the rollout, their wall time, and the API's CPU while they ran (an upper bound of the controller's). */
  ticks: number;
  tickSeconds: number;
  tickCpuSeconds: number;
  /** Why it did not finish; null when it did. */
  error: string | null;
  resources: PhaseResources;
}

/** The staged rollout's headline figures (`rollouts.phased` in the results file). */
export interface PhasedRolloutSummary {
  targets: number;
  phases: number;
  seconds: number;
  confirmed: number;
  decided: number;
  finished: boolean;
  /** The API's CPU while the controller's ticks ran (an upper bound of the controller's own). */
  controllerCpuSeconds: number;
  /** The API process's whole CPU during the rollout (controller, deployments, Status ingest, HTTP). */
  apiCpuSeconds: number | null;
  apiPeakRssBytes: number | null;
  databaseCpuSeconds: number | null;
}

export function phasedSummary(staged: StagedRolloutResult): PhasedRolloutSummary {
  return {
    targets: staged.targets,
    phases: staged.phases,
    seconds: staged.seconds,
    confirmed: staged.confirmed,
    decided: staged.decided,
    finished: staged.error === null,
    controllerCpuSeconds: staged.tickCpuSeconds,
    apiCpuSeconds: staged.resources.api?.cpuSeconds ?? null,
    apiPeakRssBytes: staged.resources.api?.peakRssBytes ?? null,
    databaseCpuSeconds: staged.resources.database?.cpuSeconds ?? null,
  };
}

export interface ListResult {
  gateways: number;
  request: string;
  p50Ms: number;
  p95Ms: number;
  latency: LatencySummary;
}

export interface BenchParams {
  gateways: number;
  statuses: number;
  imageBytes: number;
  listGateways: number;
  listRequests: number;
}

export interface WarmUpRollout {
  mode: RolloutMode;
  targets: number;
  imageBytes: number;
  seconds: number;
  confirmed: number;
  resources: PhaseResources;
  serverCpu: number | null;
}

export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  /** The machine's load average (1, 5, 15 min) when the run started and ended: other work on a shared machine shows here. */
  loadAverage?: { atStart: number[]; atEnd: number[] | null };
  /** Where the broker and database were (no credentials). */
  services: { mqtt: string; database: string; databaseEngine?: string };
  params: BenchParams;
  fleet: FleetStart;
  /** The run's gateways in the database before the rollouts (each registered by its own Status). */
  registered: number | null;
  ingest: IngestResult | null;
  rollouts: Partial<Record<RolloutMode, RolloutResult>> & { v2?: V2RolloutResult; phased?: PhasedRolloutSummary };
  stagedRollout: StagedRolloutResult | null;
  /** The small rollouts run before the measured ones, in a freshly started API (not in any ratio). */
  warmUp?: WarmUpRollout[];
  /** With --api-instances n > 1. */
  scaleOut?: ScaleOutResult | null;
  list: ListResult | null;
  checks: { invalidFrames: number; corruptImages: number; replyErrors: number };
  /** Set when the run stopped early; the phases before it are still reported. */
  error: string | null;
  /** Product phases that failed while the run went on. */
  phaseErrors: string[];
  notes: string[];
  targets: TargetLine[];
}

export type TargetStatus = 'pass' | 'miss' | 'not measured';

export interface TargetLine {
  name: string;
  target: string;
  value: string;
  status: TargetStatus;
}

const MB = 1e6;
const TARGET_GATEWAYS = 1000;
const TARGET_IMAGE_BYTES = 1024 ** 2;
export const FLEET_TARGET = 10_000;

const fixed = (value: number, digits = 2): string => value.toFixed(digits);
const mb = (bytes: number): string => `${fixed(bytes / MB, 0)} MB`;
const rate = (value: number): string => `${Math.round(value).toLocaleString('en-US')} msg/s`;

function line(name: string, target: string, value: number | null, show: (value: number) => string, passes: (value: number) => boolean): TargetLine {
  if (value === null) return { name, target, value: '-', status: 'not measured' };
  return { name, target, value: show(value), status: passes(value) ? 'pass' : 'miss' };
}

/** True when the run stopped early or a phase failed: the benchmark did not measure everything it should have. */
export function failed(result: BenchResult): boolean {
  return result.error !== null || result.phaseErrors.length > 0;
}

/** The issue's targets, each as pass / miss / not measured. */
export function evaluateTargets(result: BenchResult): TargetLine[] {
  const { broadcast, list } = result.rollouts;
  const n = result.params.gateways;
  const allConfirmed = broadcast?.product?.confirmed === n || list?.product?.confirmed === n;
  const fleetValue = n >= FLEET_TARGET ? Math.min(result.fleet.connected, result.registered ?? 0, allConfirmed ? n : 0) : null;
  const listAtFleet = result.list && result.list.gateways >= FLEET_TARGET ? result.list.p95Ms : null;
  return [
    line(
      'Rollout ratio to the raw broker (a) broadcast',
      '≤ 1.5 (aim 1.2)',
      broadcast?.ratio ?? null,
      (v) => fixed(v),
      (v) => v <= 1.5,
    ),
    line(
      'Rollout ratio to the raw broker (b) list of N',
      '≤ 1.5 (aim 1.2)',
      list?.ratio ?? null,
      (v) => fixed(v),
      (v) => v <= 1.5,
    ),
    line(
      'Rollout ratio to the bare fan-out (a) broadcast',
      '≤ 2.0 (aim 1.2)',
      broadcast?.bareRatio ?? null,
      (v) => fixed(v),
      (v) => v <= 2,
    ),
    line(
      'Rollout ratio to the bare fan-out (b) list of N',
      '≤ 2.0 (aim 1.2)',
      list?.bareRatio ?? null,
      (v) => fixed(v),
      (v) => v <= 2,
    ),
    line(
      'Server CPU ratio (a) broadcast',
      '≤ 3',
      broadcast?.serverCpuRatio ?? null,
      (v) => fixed(v),
      (v) => v <= 3,
    ),
    line(
      'Server CPU ratio (b) list of N',
      '≤ 3',
      list?.serverCpuRatio ?? null,
      (v) => fixed(v),
      (v) => v <= 3,
    ),
    line(
      'Ingest ratio',
      '≥ 0.5',
      result.ingest?.ratio ?? null,
      (v) => fixed(v),
      (v) => v >= 0.5,
    ),
    line(
      `List p95 at ${FLEET_TARGET.toLocaleString('en-US')} gateways`,
      '≤ 100 ms',
      listAtFleet,
      (v) => `${fixed(v, 1)} ms`,
      (v) => v <= 100,
    ),
    line('API peak RSS during (b)', '< 300 MB', list?.resources.product?.api?.peakRssBytes ?? null, mb, (v) => v < 300 * MB),
    ...(result.rollouts.v2 ? v2Targets(result.rollouts.v2) : []),
    ...(result.stagedRollout ? stagedRolloutTargets(result.stagedRollout) : []),
    line(
      `${FLEET_TARGET.toLocaleString('en-US')} gateways connected, registered, confirmed`,
      `${FLEET_TARGET.toLocaleString('en-US')}`,
      fleetValue,
      (v) => v.toLocaleString('en-US'),
      (v) => v >= FLEET_TARGET,
    ),
  ];
}

function stagedRolloutTargets(staged: StagedRolloutResult): TargetLine[] {
  const name = `Staged rollout, ${staged.phases} phases of ${staged.targets.toLocaleString('en-US')} gateways`;
  return [
    line(
      `${name}: targets decided`,
      staged.targets.toLocaleString('en-US'),
      staged.decided,
      (v) => v.toLocaleString('en-US'),
      (v) => v >= staged.targets,
    ),
    line(`${name}: API peak RSS`, '< 300 MB', staged.resources.api?.peakRssBytes ?? null, mb, (v) => v < 300 * MB),
  ];
}

function v2Targets(v2: V2RolloutResult): TargetLine[] {
  return [
    line(
      'v2 rollout ratio to the raw broker (list of N)',
      '≤ 1.5 (as v1)',
      v2.ratio,
      (v) => fixed(v),
      (v) => v <= 1.5,
    ),
    line(`v2 rollout of ${size(v2.imageBytes)}: API peak RSS`, '< 300 MB', v2.apiPeakRssBytes, mb, (v) => v < 300 * MB),
    line(`v2 rollout of ${size(v2.imageBytes)}: broker peak RSS`, '< 500 MB', v2.brokerPeakRssBytes, mb, (v) => v < 500 * MB),
  ];
}

/**
 * The results-file fields every complete run has (dotted paths): what the smoke run checks, so a
 * field the README and the issue rely on cannot silently go missing.
 */
export const REQUIRED_FIELDS = [
  'ingest.ratio',
  'ingest.serverCpuRatio',
  'rollouts.broadcast.ratio',
  'rollouts.list.ratio',
  'rollouts.broadcast.bareRatio',
  'rollouts.list.bareRatio',
  'rollouts.broadcast.serverCpuRatio',
  'rollouts.list.serverCpuRatio',
  'list.p50Ms',
  'list.p95Ms',
] as const;

/** Required as well when the run had a staged rollout (`--rollout-phases`). */
export const PHASED_FIELDS = ['rollouts.phased.controllerCpuSeconds', 'rollouts.phased.apiPeakRssBytes'] as const;

function valueAt(result: BenchResult, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), result);
}

/**
 * The REQUIRED_FIELDS that are not a finite positive number in `result`. A CPU ratio may be null
 * when its denominator measured 0 (the broker used less than one clock tick in a tiny run).
 */
export function missingFields(result: BenchResult): string[] {
  const required: readonly string[] = result.stagedRollout ? [...REQUIRED_FIELDS, ...PHASED_FIELDS] : REQUIRED_FIELDS;
  return required.filter((path) => {
    const value = valueAt(result, path);
    if (typeof value === 'number') return !Number.isFinite(value) || value <= 0;
    const denominator = path.endsWith('.serverCpuRatio') ? valueAt(result, path.replace(/serverCpuRatio$/, 'serverCpu.raw')) : undefined;
    return !(value === null && denominator === 0 && typeof valueAt(result, path.replace(/serverCpuRatio$/, 'serverCpu.product')) === 'number');
  });
}

/** True when the sizes are the ones the targets are set for. */
export function atTargetSizes(params: BenchParams): boolean {
  return params.gateways >= TARGET_GATEWAYS && params.imageBytes >= TARGET_IMAGE_BYTES;
}

function resources(usage: PhaseResources | null): string {
  if (usage === null) return '-';
  const api = usage.api ? `API ${mb(usage.api.peakRssBytes)} peak, ${fixed(usage.api.cpuSeconds, 1)} CPU s` : 'API -';
  const others = (['broker', 'database', 'postgresql', 'bench'] as const)
    .filter((name) => usage[name])
    .map((name) => `${name} ${fixed(usage[name]?.cpuSeconds ?? 0, 1)} CPU s`);
  return [api, ...others].join('; ');
}

function serverCpu(cpu: ServerCpu, ratio: number | null): string {
  if (cpu.product === null || cpu.raw === null) return '-';
  const bare = cpu.bare === null || cpu.bare === undefined ? '' : `; bare ${fixed(cpu.bare, 1)}`;
  return `${fixed(cpu.product, 1)} / ${fixed(cpu.raw, 1)} (${ratio === null ? '-' : fixed(ratio)})${bare}`;
}

/** CPU seconds of the bench process (the simulated gateways, or the bare subscribers) in each phase. */
function fleetCpu(phases: (PhaseResources | null)[]): string {
  return phases.map((usage) => (usage?.bench ? fixed(usage.bench.cpuSeconds, 1) : '-')).join(' / ');
}

function size(bytes: number): string {
  if (bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** The results as markdown: parameters, one table, the targets. */
export function renderMarkdown(result: BenchResult): string {
  const p = result.params;
  const rows: string[][] = [];
  if (result.ingest) {
    const i = result.ingest;
    rows.push([
      `Status ingest, ${p.gateways.toLocaleString('en-US')} × ${p.statuses} frames`,
      i.product ? `${rate(i.product.rate)} (${fixed(i.product.seconds)} s)` : '-',
      `${rate(i.raw.rate)} (${fixed(i.raw.seconds)} s)`,
      '-',
      i.ratio === null ? '-' : `${fixed(i.ratio)} (rate)`,
      '-',
      serverCpu(i.serverCpu, i.serverCpuRatio),
      fleetCpu([i.resources.product, i.resources.raw]),
      resources(i.resources.product),
    ]);
  }
  for (const mode of ['broadcast', 'list'] as const) {
    const r = result.rollouts[mode];
    if (!r) continue;
    const label = mode === 'broadcast' ? '(a) all, broadcast' : `(b) list of ${r.targets.toLocaleString('en-US')} ids`;
    rows.push([
      `Rollout ${label}, ${size(r.imageBytes)}`,
      r.product ? `${fixed(r.product.seconds)} s (delivered ${fixed(r.product.deliveredSeconds)} s)` : '-',
      `${fixed(r.raw.seconds)} s (delivered ${fixed(r.raw.deliveredSeconds)} s)`,
      r.bare ? `${fixed(r.bare.seconds)} s (delivered ${fixed(r.bare.deliveredSeconds)} s)` : '-',
      r.ratio === null ? '-' : `${fixed(r.ratio)} (time)`,
      r.bareRatio === null ? '-' : `${fixed(r.bareRatio)} (time)`,
      serverCpu(r.serverCpu, r.serverCpuRatio),
      fleetCpu([r.resources.product, r.resources.raw, r.resources.bare]),
      resources(r.resources.product),
    ]);
  }
  const v2 = result.rollouts.v2;
  if (v2) {
    rows.push([
      `Rollout v2 (Offer and chunks) to a list of ${v2.targets.toLocaleString('en-US')} ids, ${size(v2.imageBytes)}`,
      v2.product
        ? `${fixed(v2.product.seconds)} s (installed ${fixed(v2.product.deliveredSeconds)} s${v2.sharedChunks === null ? '' : `; chunks sent: ${v2.sharedChunks} shared, ${v2.requestedChunks} on request`})`
        : '-',
      v2.raw ? `${fixed(v2.raw.seconds)} s (list rollout, delivered ${fixed(v2.raw.deliveredSeconds)} s)` : '-',
      '-',
      v2.ratio === null ? '-' : `${fixed(v2.ratio)} (time)`,
      '-',
      serverCpu(v2.serverCpu, v2.serverCpuRatio),
      fleetCpu([v2.resources.product, v2.resources.raw]),
      resources(v2.resources.product),
    ]);
  }
  for (const w of result.warmUp ?? []) {
    rows.push([
      `Warm-up rollout (${w.mode}) before the measured ones, ${w.targets.toLocaleString('en-US')} gateways, ${size(w.imageBytes)} (in no ratio)`,
      `${fixed(w.seconds)} s, ${w.confirmed.toLocaleString('en-US')} confirmed`,
      '-',
      '-',
      '-',
      '-',
      w.serverCpu === null ? '-' : `${fixed(w.serverCpu, 1)} (API + database + broker)`,
      '-',
      resources(w.resources),
    ]);
  }
  if (result.stagedRollout) {
    const r = result.stagedRollout;
    rows.push([
      `Staged rollout, ${r.phases} phases of ${r.targets.toLocaleString('en-US')} gateways, ${size(r.imageBytes)}`,
      `${fixed(r.seconds)} s${r.error === null ? '' : ' (did not finish)'}, ${r.confirmed.toLocaleString('en-US')} confirmed, ${r.decided.toLocaleString('en-US')} decided; controller: ${r.ticks} ticks, ${fixed(r.tickSeconds, 1)} s, ≤ ${fixed(r.tickCpuSeconds, 1)} CPU s`,
      '-',
      '-',
      resources(r.resources),
    ]);
  }
  if (result.list) {
    const l = result.list.latency;
    rows.push([
      `GET /api/gateways, page of 50 by last seen, ${result.list.gateways.toLocaleString('en-US')} gateways`,
      `p50 ${fixed(l.p50Ms, 1)} ms, p95 ${fixed(l.p95Ms, 1)} ms (max ${fixed(l.maxMs, 1)} ms, ${l.count} requests)`,
      '-',
      '-',
      '-',
      '-',
      '-',
      '-',
      '',
    ]);
  }
  const table = [
    '| Measure | Product (API) | Raw broker | Bare fan-out | Ratio to raw | Ratio to bare | Server CPU s: product / raw (ratio) | Fleet CPU s: product / raw / bare | Resources during the product phase |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ];
  const targets = result.targets.map((t) => `- ${t.status.toUpperCase()}: ${t.name} ${t.target}: ${t.value}`);
  const m = result.machine;
  return [
    `### Benchmark ${result.startedAt}`,
    '',
    `\`${result.command}\` on ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}: N=${p.gateways.toLocaleString('en-US')} gateways ` +
      `(${result.fleet.connected.toLocaleString('en-US')} connected in ${fixed(result.fleet.seconds, 1)} s), K=${p.statuses}, S=${size(p.imageBytes)}.`,
    `Services: broker ${result.services.mqtt}, database ${result.services.database}${result.services.databaseEngine ? ` (${result.services.databaseEngine})` : ''}.`,
    ...(result.loadAverage ? [`Load average (1, 5, 15 min): ${loadAverages(result.loadAverage)}.`] : []),
    '',
    ...table,
    ...(result.scaleOut ? ['', ...renderScaleOut(result.scaleOut)] : []),
    '',
    'Targets' + (atTargetSizes(p) ? ':' : ' (set for N=1000, S=1 MiB; this run used other sizes):'),
    '',
    ...targets,
    '',
    `Checks: ${result.checks.invalidFrames} invalid frames, ${result.checks.corruptImages} corrupt images, ${result.checks.replyErrors} failed replies at the gateways.`,
    ...result.phaseErrors.map((message) => `\n**Failed:** ${message}`),
    ...(result.error ? ['', `**Stopped early:** ${result.error}`] : []),
    ...(result.notes.length > 0 ? ['', ...result.notes.map((note) => `- ${note}`)] : []),
    '',
  ].join('\n');
}

function loadAverages({ atStart, atEnd }: { atStart: number[]; atEnd: number[] | null }): string {
  const format = (loads: number[]) => loads.map((load) => load.toFixed(2)).join(', ');
  return `${format(atStart)} at the start, ${atEnd === null ? 'unknown' : format(atEnd)} at the end`;
}
