import { performance } from 'node:perf_hooks';
import type { ApiClient } from './api-client';
import { gatewayIdPrefix, type BenchDatabase, type TargetCounts } from './bench-database';
import type { BenchFleet } from './bench-fleet';
import type { ListResult } from './bench-result';
import type { RolloutMode } from './raw-broker';
import { summarizeLatencies } from './stats';
import { pollUntil, withTimeout } from './waiting';

/**
 * How often the database is asked whether a phase is done: every 100 ms, or twice the last
 * count's duration when counting is slow (FerretDB scans), so that polling takes at most a third
 * of the database's time. The product's times are known to within one such pause.
 */
export const POLL_INTERVAL_MS = 100;
const POLL_BACKOFF = 2;
/** A phase whose count has not moved for this long has lost messages: waiting longer is pointless. */
const STALL_MS = 60_000;
/** How often the API's /metrics are read while waiting for it to report the ingest written (no database query). */
export const SETTLED_POLL_INTERVAL_MS = 50;
const HANDLED_STATUSES = 'um_gateway_messages_total{type="STATUS"}';
const PENDING_ACTIVITY = 'um_gateway_activity_pending';
// Only these are collected for the check: a full scrape also counts the gateways in the database.
const SETTLED_METRICS = ['um_gateway_messages_total', PENDING_ACTIVITY];
export const LIST_QUERY = 'pageSize=50&sort=lastSeenAt&order=desc';
const LIST_WARM_UP_REQUESTS = 20;

export interface ProductIngestResult {
  seconds: number;
  /** Gateways whose stored Status is the one they sent last, when the phase was done. */
  atLast: number;
}

/** True once the API processes have handled and written every Status of the phase. */
export type IngestSettled = () => Promise<boolean>;

/** `expected` more Statuses handled than when this was called, and none waiting to be written, summed over the processes. */
export async function apiSettled(apis: readonly ApiClient[], expected: number): Promise<IngestSettled> {
  const read = () => Promise.all(apis.map((api) => api.metrics([HANDLED_STATUSES, PENDING_ACTIVITY], SETTLED_METRICS)));
  const handled = (samples: Array<Map<string, number>>) => samples.reduce((sum, sample) => sum + (sample.get(HANDLED_STATUSES) ?? 0), 0);
  const before = handled(await read());
  return async () => {
    const samples = await read();
    return handled(samples) - before >= expected && samples.every((sample) => sample.get(PENDING_ACTIVITY) === 0);
  };
}

export interface ProductRolloutResult {
  seconds: number;
  deliveredSeconds: number;
  requestSeconds: number;
  serverRequestSeconds: number | null;
  confirmed: number;
}

/** A product rollout as measured, before the database confirms its targets. */
export type TimedProductRollout = Omit<ProductRolloutResult, 'confirmed'> & { deploymentId: string };

// Deployment targets the API decided (confirmed or failed), from its /metrics: no database query.
const DECIDED_TARGETS = 'um_deployment_target_transitions_total';

// The API's own time of its deployment requests: the bench's round trip waits behind the fleet sharing its event loop.
const DEPLOYMENT_REQUEST_SECONDS = 'http_request_duration_seconds_sum{method="POST",route="/api/deployments",status="201"}';

async function deploymentRequestSeconds(api: ApiClient): Promise<number> {
  // Only that metric collected: the whole /metrics also counts documents in the database.
  return (await api.metrics([DEPLOYMENT_REQUEST_SECONDS], ['http_request_duration_seconds'])).get(DEPLOYMENT_REQUEST_SECONDS) ?? 0;
}

/** How the product ingest knows it is done (see measureProductIngest). */
export interface IngestWaits {
  /** Polled (cheaply, on the API) before the database is asked at all: the API processes report every Status written. */
  written?: IngestSettled;
  /** Also done when this holds, whatever the database's count (several processes, see below). */
  settled?: IngestSettled;
}

/**
 * Every gateway sends its K Status frames; done when the database holds each gateway's last
 * version or, with `settled`, when the API processes have handled and written every Status (on
 * FerretDB two processes updating one gateway in the same instant can lose the order: its update
 * reads and writes in two steps; `atLast` shows how many were not affected).
 * With `written`, the phase ends when the API processes report every Status handled and its write
 * acknowledged by the database (the raw side ends when its cloud reports every Status received);
 * the database is asked only then, as a check outside the timed span: that count is a scan on
 * FerretDB (0.1-0.4 s) which the raw side does not pay, and a count while the API still writes
 * competes with its writes. The phase fails when the check does not find every gateway's last
 * version stored (or `settled` holds) within the time-out.
 */
export async function measureProductIngest(
  fleet: BenchFleet,
  db: BenchDatabase,
  versions: readonly string[],
  timeoutMs: number,
  { written, settled }: IngestWaits = {},
): Promise<ProductIngestResult> {
  const last = versions[versions.length - 1];
  if (last === undefined) throw new RangeError('no versions to send');
  let persisted = 0;
  const started = performance.now();
  // The database cannot be done before the last frame is out; polling only from then on keeps
  // the benchmark's own queries from slowing the database while the API writes.
  await withTimeout(fleet.sendStatuses(versions), timeoutMs, 'product ingest: acknowledgements of the Status frames');
  const writtenAt = written
    ? await pollUntil(written, { timeoutMs, intervalMs: SETTLED_POLL_INTERVAL_MS, what: 'product ingest: the API writing every Status' })
    : null;
  const stored = await pollUntil(
    async () => (persisted = await db.countGatewaysAtVersion(fleet.idPrefix, last)) >= fleet.size || (await settled?.()) === true,
    {
      timeoutMs,
      intervalMs: POLL_INTERVAL_MS,
      backoffFactor: POLL_BACKOFF,
      what: 'product ingest',
      progress: () => `${persisted}/${fleet.size} gateways stored at version ${last}`,
      stallMs: STALL_MS,
      progressValue: () => persisted,
    },
  );
  return { seconds: ((writtenAt ?? stored) - started) / 1000, atLast: persisted };
}

const REGISTER_CHUNK = 200;

/**
 * Registers the gateways the database does not know yet by a Status each, a chunk at a time,
 * waiting for every chunk to be stored: for when a burst of Status frames was lost on the way.
 * Returns how many had to be registered this way.
 */
export async function registerMissing(fleet: BenchFleet, db: BenchDatabase, version: string, timeoutMs: number): Promise<number> {
  const known = await db.gatewayIds(fleet.idPrefix);
  const missing = fleet.ids.filter((id) => !known.has(id));
  for (let start = 0; start < missing.length; start += REGISTER_CHUNK) {
    const chunk = missing.slice(start, start + REGISTER_CHUNK);
    await fleet.sendStatusFrom(chunk, version);
    const expected = known.size + start + chunk.length;
    await pollUntil(async () => (await db.countGateways({ gatewayId: gatewayIdPrefix(fleet.idPrefix) })) >= expected, {
      timeoutMs,
      intervalMs: POLL_INTERVAL_MS,
      backoffFactor: POLL_BACKOFF,
      what: `registering ${chunk.length} gateways`,
    });
  }
  return missing.length;
}

/**
 * POST /api/deployments, then done when the API processes have decided every target: they count a
 * decision once it is recorded and applied (confirmed by `confirmProductRollout`, after the measure).
 */
export async function measureProductRollout(
  fleet: BenchFleet,
  api: ApiClient,
  mode: RolloutMode,
  version: string,
  image: Buffer,
  timeoutMs: number,
  // Every API process of the run: each counts the targets it decided.
  apis: readonly ApiClient[] = [api],
): Promise<TimedProductRollout> {
  const { delivered, replied } = fleet.expectImage(version, image);
  const serverRequestBefore = await deploymentRequestSeconds(api);
  const decidedNow = async () => (await Promise.all(apis.map((client) => client.metricSum(DECIDED_TARGETS)))).reduce((sum, value) => sum + value, 0);
  const decidedBefore = await decidedNow();
  const started = performance.now();
  const deployment = await api.createDeployment(mode === 'broadcast' ? { version, all: true } : { version, gatewayIds: [...fleet.ids] });
  const requestDone = performance.now();
  // An "all" deployment also targets any other gateway the API heard of on the shared broker.
  const ours = deployment.targets.filter((target) => fleet.has(target.gatewayId)).length;
  if (ours !== fleet.size) throw new Error(`deployment ${deployment.id} targets ${ours} of the ${fleet.size} gateways`);
  await withTimeout(replied.done, timeoutMs, `product rollout (${mode})`, () => `${delivered.value} delivered, ${replied.value} replied of ${fleet.size}`);
  let decided = 0;
  const done = await pollUntil(async () => (decided = (await decidedNow()) - decidedBefore) >= fleet.size, {
    timeoutMs,
    intervalMs: SETTLED_POLL_INTERVAL_MS,
    what: `product rollout (${mode}), targets decided in the API`,
    progress: () => `${delivered.value} delivered, ${decided} decided of ${fleet.size}`,
    stallMs: STALL_MS,
    progressValue: () => decided,
  });
  const lastReceipt = fleet.lastReceiptAt(version) ?? done;
  const serverRequest = (await deploymentRequestSeconds(api)) - serverRequestBefore;
  return {
    deploymentId: deployment.id,
    seconds: (done - started) / 1000,
    deliveredSeconds: (lastReceipt - started) / 1000,
    requestSeconds: (requestDone - started) / 1000,
    serverRequestSeconds: serverRequest > 0 ? serverRequest : null,
  };
}

/**
 * The database's count of the rollout's targets confirmed (their outcome events, a listed target's
 * decision), asked after the measure: a count scans the events (40-54 ms of FerretDB's CPU at 4,000
 * decision documents, measured, which the product wrote until 2026-12-03), which is the bench's
 * check, not the product's work. Fails when a target failed or the count falls short.
 */
export async function confirmProductRollout(db: BenchDatabase, fleet: BenchFleet, deploymentId: string, mode: RolloutMode, timeoutMs: number): Promise<number> {
  let counts: TargetCounts = { confirmed: 0, failed: 0 };
  await pollUntil(
    async () => {
      counts = await db.targetCounts(deploymentId, fleet.idPrefix);
      if (counts.failed > 0) throw new Error(`rollout (${mode}): ${counts.failed} targets failed in deployment ${deploymentId}`);
      return counts.confirmed >= fleet.size;
    },
    {
      timeoutMs,
      intervalMs: POLL_INTERVAL_MS,
      backoffFactor: POLL_BACKOFF,
      what: `product rollout (${mode}), targets confirmed in the database`,
      progress: () => `${counts.confirmed} confirmed, ${counts.failed} failed of ${fleet.size}`,
      stallMs: STALL_MS,
      progressValue: () => counts.confirmed,
    },
  );
  return counts.confirmed;
}

export interface StagedRolloutMeasure {
  seconds: number;
  confirmed: number;
  /** Targets confirmed, failed or skipped when the rollout finished. */
  decided: number;
  ticks: number;
  tickSeconds: number;
  tickCpuSeconds: number;
  /** Why it did not finish (time limit, stall, abort); null when it finished. The figures are then those reached. */
  error: string | null;
}

/**
 * POST /api/rollouts in `phases` equal phases to the fleet; done when the rollout is finished. A
 * rollout that does not finish in time still reports how far it got and what the controller cost.
 */
export async function measureStagedRollout(
  fleet: BenchFleet,
  api: ApiClient,
  phases: number,
  version: string,
  image: Buffer,
  timeoutMs: number,
): Promise<StagedRolloutMeasure> {
  const { delivered } = fleet.expectImage(version, image);
  const [ticksBefore, tickSecondsBefore, cpuBefore] = await Promise.all([
    api.metric('um_rollout_tick_seconds_count'),
    api.metric('um_rollout_tick_seconds_sum'),
    api.metric('um_rollout_tick_cpu_seconds_total'),
  ]);
  const started = performance.now();
  const rollout = await api.createRollout({
    version,
    filter: { idPattern: `${fleet.idPrefix}*` },
    phases: Array.from({ length: phases }, (_, index) => ({ percent: Math.round(((index + 1) * 10_000) / phases) / 100 })),
  });
  if (rollout.targets !== fleet.size) throw new Error(`rollout ${rollout.id} targets ${rollout.targets} of the ${fleet.size} gateways`);
  let current = rollout;
  let error: string | null = null;
  const done = await pollUntil(
    async () => {
      // A poll that fails (a keep-alive socket closed under it) is tried again; a dead API stalls the phase.
      current = await api.getRollout(rollout.id).catch(() => current);
      if (['aborted', 'cancelled', 'waiting-approval'].includes(current.state))
        throw new Error(`staged rollout ${rollout.id} is ${current.state}: ${current.stateReason ?? ''}`);
      return current.state === 'finished';
    },
    {
      timeoutMs,
      intervalMs: 500,
      what: 'staged rollout',
      progress: () => `phase ${current.currentPhase + 1} of ${phases}, ${delivered.value} delivered, ${current.counts.confirmed} confirmed of ${fleet.size}`,
      stallMs: STALL_MS,
      progressValue: () => current.counts.confirmed,
    },
  ).catch((failure: unknown) => {
    error = failure instanceof Error ? failure.message : String(failure);
    return performance.now();
  });
  const [ticks, tickSeconds, cpu] = await Promise.all([
    api.metric('um_rollout_tick_seconds_count'),
    api.metric('um_rollout_tick_seconds_sum'),
    api.metric('um_rollout_tick_cpu_seconds_total'),
  ]);
  return {
    seconds: (done - started) / 1000,
    confirmed: current.counts.confirmed,
    decided: current.counts.confirmed + current.counts.failed + current.counts.skipped,
    ticks: ticks - ticksBefore,
    tickSeconds: tickSeconds - tickSecondsBefore,
    tickCpuSeconds: cpu - cpuBefore,
    error,
  };
}

/**
 * Fills the database up to `gateways` (directly, as Status frames would have), times the list
 * page with one request at a time, and removes the added gateways again so that later rollouts
 * to "all" target only the simulated fleet.
 */
export async function measureListLatency(api: ApiClient, db: BenchDatabase, seedPrefix: string, gateways: number, requests: number): Promise<ListResult> {
  const existing = await db.countGateways();
  if (existing < gateways) await db.seedGateways(seedPrefix, gateways - existing);
  try {
    const total = await db.countGateways();
    for (let i = 0; i < LIST_WARM_UP_REQUESTS; i++) await api.listGateways(LIST_QUERY);
    const samples: number[] = [];
    for (let i = 0; i < requests; i++) {
      const started = performance.now();
      const page = await api.listGateways(LIST_QUERY);
      samples.push(performance.now() - started);
      // Other gateways on the shared broker may register meanwhile: at least `total`.
      if (page.items.length !== Math.min(50, total) || page.total < total) {
        throw new Error(`GET /api/gateways?${LIST_QUERY}: ${page.items.length} items of ${page.total}, expected 50 of at least ${total}`);
      }
    }
    const latency = summarizeLatencies(samples);
    return { gateways: total, request: `GET /api/gateways?${LIST_QUERY}`, p50Ms: latency.p50Ms, p95Ms: latency.p95Ms, latency };
  } finally {
    await db.deleteGateways(`${seedPrefix}-`);
  }
}
