import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiClient } from './api-client';
import { ApiProcess, databaseEngine, postgresqlPid, servicePid } from './api-process';
import { BareFleet } from './bare-fleet';
import { loadBenchEnv, serviceAddress, withDatabaseName, type BenchEnv } from './bench-env';
import { BenchDatabase, gatewayIdPrefix } from './bench-database';
import { BenchFleet } from './bench-fleet';
import { buildBenchImage } from './bench-image';
import type { BenchOptions } from './bench-options';
import { evaluateTargets, failed, phasedSummary, ratioOf, serverCpuSeconds, type BenchResult, type PhaseResources, type WarmUpRollout } from './bench-result';
import { brokerSavesNote, lastBrokerSave, savedDuring, type PhaseSave } from './broker-saves';
import { ResourceMonitors, type ResourceUsage } from './process-stats';
import type { ScaleOutResult } from './scale-out-result';
import {
  apiSettled,
  measureListLatency,
  measureProductIngest,
  SETTLED_POLL_INTERVAL_MS,
  confirmProductRollout,
  measureProductRollout,
  measureStagedRollout,
  POLL_INTERVAL_MS,
  registerMissing,
  type ProductRolloutResult,
  type TimedProductRollout,
} from './product-phases';
import { connectCloud, measureBareRollout, measureRawIngest, measureRawRollout, type RawRolloutResult, type RolloutMode } from './raw-broker';
import { RawCloudProcess } from './raw-cloud-process';
import { benchSigningKey, BenchV2Agents, MAX_V1_ROLLOUT_BYTES, measureV2Rollout } from './v2-rollout';

export type Log = (message: string) => void;

const MODES: readonly RolloutMode[] = ['broadcast', 'list'];
const REGISTER_NOTE = 'in chunks of 200 waiting for each to be stored, before the rollouts';
// Versions each phase installs; the rollouts' are newer than the ingest's.
const RAW_ROLLOUT_VERSION: Record<RolloutMode, string> = { broadcast: '1.1', list: '1.2' };
const PRODUCT_ROLLOUT_VERSION: Record<RolloutMode, string> = { broadcast: '2.0', list: '3.0' };
// The rollouts again through several API processes (--api-instances): versions the gateways do not run yet.
const SCALE_OUT_ROLLOUT_VERSION: Record<RolloutMode, string> = { broadcast: '6.0', list: '7.0' };
const STAGED_ROLLOUT_VERSION = '4.0';
const WARM_UP_VERSION: Record<RolloutMode, string> = { broadcast: '1.8', list: '1.9' };
/**
 * The warm-up rollouts' image: small, since what they are for is the code path, not the bytes. An
 * API runs for weeks; its first rollouts also pay V8 compiling the rollout path (the compiler was
 * about a quarter of the API's CPU in a fresh API's first rollout, profiled), which the raw side,
 * a broker already warmed by the bare fan-out, does not.
 */
const WARM_UP_IMAGE_BYTES = 64 * 1024;
// Measured last: newer than every version before it.
const V2_ROLLOUT_VERSION = '8.0';
const DEFAULT_MAX_IMAGE_BYTES = 256 * 1024 * 1024;

export function ingestVersions(statuses: number): string[] {
  return Array.from({ length: statuses }, (_, i) => `0.${i + 1}`);
}

/** Generous limits for a slow, shared machine: each step must go faster than this or the run fails. */
export function phaseTimeouts(options: BenchOptions): { ingestMs: number; rolloutMs: number; apiStartMs: number } {
  if (options.phaseTimeoutS !== null) {
    const ms = options.phaseTimeoutS * 1000;
    return { ingestMs: ms, rolloutMs: ms, apiStartMs: ms };
  }
  return {
    // At least 50 Status frames per second, and 1 MB/s of image fan-out: slow is a result, only
    // a stall is a failure.
    ingestMs: 60_000 + options.gateways * options.statuses * 20,
    rolloutMs: 120_000 + (options.gateways * options.imageBytes) / 1_000,
    apiStartMs: 90_000,
  };
}

function commandLine(argv: readonly string[]): string {
  return ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ');
}

function emptyResult(options: BenchOptions, argv: readonly string[], env: BenchEnv): BenchResult {
  const cpuList = cpus();
  return {
    startedAt: new Date().toISOString(),
    finishedAt: '',
    command: commandLine(argv),
    machine: {
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model.trim() ?? 'unknown CPU',
      memoryGiB: Math.round(totalmem() / 1024 ** 3),
      node: process.versions.node,
      platform: `${process.platform} ${process.arch}`,
    },
    loadAverage: { atStart: loadavg(), atEnd: null },
    services: { mqtt: serviceAddress(env.mqttUrl), database: serviceAddress(env.mongoUrl) },
    params: {
      gateways: options.gateways,
      statuses: options.statuses,
      imageBytes: options.imageBytes,
      listGateways: options.listGateways,
      listRequests: options.listRequests,
    },
    fleet: { connected: 0, failed: 0, seconds: 0, firstError: null },
    registered: null,
    ingest: null,
    rollouts: {},
    stagedRollout: null,
    list: null,
    checks: { invalidFrames: 0, corruptImages: 0, replyErrors: 0 },
    error: null,
    phaseErrors: [],
    notes: [
      'Raw-broker phases run before the API is started, so no API of this run consumes their traffic.',
      `The product ingest is done when the API's /metrics (read every ${SETTLED_POLL_INTERVAL_MS} ms once the broker has acknowledged every gateway's last frame) report every Status handled and its write acknowledged by the database; the database's count of gateways at their last version is checked after that, untimed, and fails the phase when short. Product rollouts are done when the API's /metrics (read every ${SETTLED_POLL_INTERVAL_MS} ms once every gateway has replied) report every deployment target decided, which the API counts once the decision is written; the database's count of the targets confirmed is checked after that, untimed and outside the CPU figures (polled every ${POLL_INTERVAL_MS} ms until it shows every target, less often while a count is slow), and fails the phase when a target failed. Raw phases are done when the last reply or message arrives.`,
      "Each gateway's K Status frames are dated one second apart, the last one when sent (a field gateway's Statuses are seconds apart): the ingest is done when every gateway shows the Status it sent last. A v1 frame is dated in whole seconds, so two Statuses of one gateway within one second that different API processes handle may be stored in either order.",
      'The raw cloud side is a plain mqtt.js client in its own process (MQTT 5, Receive Maximum 65535, per-gateway publishes 64 at a time).',
      'The bare fan-out runs first, before the simulated gateways connect: the same publisher, N plain mqtt.js subscribers (MQTT 3.1.1, QoS 1) that only count the bytes of the image and publish one short reply; no frame, no decoding, no checks.',
      'Server CPU: the broker alone in the raw and bare phases; API + database (FerretDB, and its PostgreSQL cluster with every backend process when that is the backend) + broker in the product phases. The simulated fleet and the raw cloud side are not server.',
      'Gateways, broker, database and API share this machine, and the broker is shared with any other client running at the time.',
    ],
    targets: [],
  };
}

/** Runs `work` between begin and end of CPU/memory monitoring of the given processes. */
async function monitored<T>(pids: Record<string, number | undefined>, work: () => Promise<T>): Promise<{ value: T; resources: PhaseResources }> {
  // PostgreSQL runs a process per connection: its CPU is the postmaster's and all its children's.
  const monitors = new ResourceMonitors(pids, ['postgresql']);
  monitors.begin();
  const value = await work();
  return { value, resources: monitors.end() };
}

async function forgetApiSession(env: BenchEnv, clientId: string): Promise<void> {
  // A clean-session connection under the API's client id makes the broker drop the session it kept for it.
  const client = await connectCloud(env, clientId);
  await client.endAsync();
}

/**
 * One benchmark run: N gateways connect; the raw broker's ingest and rollouts are measured; then
 * the built API starts as a child process (own database, own MQTT client id) and the same traffic
 * is measured through it, then the gateway list latency. Everything it started is stopped and its
 * database dropped, also when a phase fails (the result then carries the error and what was
 * measured before it).
 */
export async function runBench(options: BenchOptions, argv: readonly string[], log: Log): Promise<BenchResult> {
  const run = new BenchRun(options, argv, log);
  try {
    // The bare fan-out first, before the simulated gateways connect: its broadcasts reach only its own subscribers.
    if (run.v1Rollouts && !options.skipBare) await run.barePhases();
    await run.connectFleet();
    // The raw broker first, while no API of this run is subscribed.
    await run.rawPhases();
    if (options.rawOnly) run.result.notes.push('Raw-broker phases only (--raw-only).');
    else await run.productPhases();
    if (!options.rawOnly && options.apiInstances > 1) await run.scaleOutPhases();
  } catch (error) {
    run.fail(error);
  } finally {
    await run.cleanUp();
  }
  run.noteBrokerSaves();
  run.result.finishedAt = new Date().toISOString();
  if (run.result.loadAverage) run.result.loadAverage.atEnd = loadavg();
  run.result.targets = evaluateTargets(run.result);
  return run.result;
}

class BenchRun {
  readonly result: BenchResult;
  private readonly env: BenchEnv = loadBenchEnv();
  private readonly runId = randomBytes(4).toString('hex');
  private readonly timeouts: ReturnType<typeof phaseTimeouts>;
  private readonly workDir: string;
  private readonly dbName: string;
  private readonly apiClientId: string;
  private readonly services: Record<string, number | undefined>;
  private readonly versions: string[];
  private readonly images = new Map<string, Buffer>();
  private readonly fleet: BenchFleet;
  private api: ApiProcess | undefined;
  // With --api-instances n: the n processes of the second pass (HTTP goes to the first).
  private readonly scaleOutApis: ApiProcess[] = [];
  private db: BenchDatabase | undefined;
  private apiLogShown = false;
  private readonly bareRollouts = new Map<RolloutMode, { value: RawRolloutResult; resources: PhaseResources }>();
  /** Rollouts with protocol v1 (raw, bare, product): only for an image that fits one MQTT packet. */
  readonly v1Rollouts: boolean;
  private readonly signingKey: ReturnType<typeof benchSigningKey> | null;
  private v2Agents: BenchV2Agents | undefined;
  // The local broker's persistence database, and the measured phases during which it was written.
  private readonly brokerDbFile: string;
  private readonly brokerSaves: PhaseSave[] = [];

  constructor(
    private readonly options: BenchOptions,
    argv: readonly string[],
    private readonly log: Log,
  ) {
    this.result = emptyResult(options, argv, this.env);
    if (options.imageBytesReduced) {
      this.result.notes.push(
        `S reduced to ${options.imageBytes} bytes so that N × S stays within 1 GiB (one process simulates every gateway); give --image-bytes to choose.`,
      );
    }
    this.timeouts = phaseTimeouts(options);
    this.workDir = mkdtempSync(join(tmpdir(), `upgrade-manager-bench-${this.runId}-`));
    this.v1Rollouts = !options.skipRollout && options.imageBytes <= MAX_V1_ROLLOUT_BYTES;
    if (!options.skipRollout && !this.v1Rollouts) {
      this.result.notes.push(`S is larger than one MQTT packet: no v1 rollouts (raw, bare or product), so the v2 rollout has no raw ratio.`);
    }
    this.signingKey = options.protocol === 2 ? benchSigningKey(this.workDir) : null;
    this.dbName = `um-bench-${this.runId}`;
    this.apiClientId = `um-bench-api-${this.runId}`;
    this.services = {
      broker: servicePid(this.env.dataDir, 'mosquitto'),
      database: servicePid(this.env.dataDir, 'ferretdb'),
      postgresql: postgresqlPid(this.env.dataDir),
      bench: process.pid,
    };
    this.result.services.databaseEngine = databaseEngine(this.services['database']);
    this.versions = ingestVersions(options.statuses);
    this.brokerDbFile = join(this.env.dataDir, 'mosquitto', 'mosquitto.db');
    this.fleet = new BenchFleet(this.env, this.runId, options.gateways, options.connectConcurrency);
  }

  /** N plain subscribers that count bytes and reply once, fed by one plain publisher: the broker's limit on this machine. */
  async barePhases(): Promise<void> {
    const { options } = this;
    const bare = new BareFleet(this.env, this.runId, options.gateways, options.connectConcurrency);
    this.log(`bare fan-out: connecting ${bare.size} plain subscribers`);
    let cloud: RawCloudProcess | undefined;
    try {
      await bare.start();
      cloud = await RawCloudProcess.start(this.env, `bench-bare-${this.runId}`, bare.idPrefix);
      const pids = { cloud: cloud.pid, ...this.services };
      for (const mode of MODES) {
        const publisher = cloud;
        // The bare subscribers count bytes only: the image is any S bytes.
        const measured = await this.measured(`bare fan-out (${mode})`, pids, () =>
          measureBareRollout(bare, publisher, mode, this.imageFor(`bare-${mode}`), this.workDir, this.timeouts.rolloutMs),
        );
        this.bareRollouts.set(mode, measured);
        this.log(`bare fan-out (${mode}): ${measured.value.seconds.toFixed(2)} s`);
      }
      if (bare.replyErrors > 0) throw new Error(`bare fan-out: ${bare.replyErrors} replies failed`);
    } finally {
      await cloud?.close();
      await bare.close();
    }
  }

  /** `monitored`, and whether the broker saved its database meanwhile (for noteBrokerSaves). */
  private async measured<T>(label: string, pids: Record<string, number | undefined>, work: () => Promise<T>): Promise<{ value: T; resources: PhaseResources }> {
    const startedAt = Date.now();
    try {
      return await monitored(pids, work);
    } finally {
      const savedAt = lastBrokerSave(this.brokerDbFile);
      if (savedDuring(savedAt, startedAt, Date.now())) this.brokerSaves.push({ label, savedAt });
    }
  }

  /** A measured product rollout, then (unmeasured) the database's confirmation of every target. */
  private async measuredRollout(
    label: string,
    pids: Record<string, number | undefined>,
    db: BenchDatabase,
    mode: RolloutMode,
    run: () => Promise<TimedProductRollout>,
  ): Promise<{ value: ProductRolloutResult; resources: PhaseResources }> {
    const { value, resources } = await this.measured(label, pids, run);
    const { deploymentId, ...timed } = value;
    const confirmed = await confirmProductRollout(db, this.fleet, deploymentId, mode, this.timeouts.rolloutMs);
    return { value: { ...timed, confirmed }, resources };
  }

  /** Names the measured phases during which the local broker wrote its persistence database. */
  noteBrokerSaves(): void {
    const note = brokerSavesNote(this.brokerSaves);
    if (note === null) return;
    this.result.notes.push(note);
    this.log(note);
  }

  async connectFleet(): Promise<void> {
    this.log(`run ${this.runId}: connecting ${this.options.gateways} gateways to ${this.env.mqttUrl}`);
    this.result.fleet = await this.fleet.start();
    const { connected, failed, seconds, firstError } = this.result.fleet;
    this.log(`${connected} connected in ${seconds.toFixed(1)} s`);
    if (failed > 0) throw new Error(`${failed} gateways did not connect (first: ${firstError})`);
  }

  async rawPhases(): Promise<void> {
    const { options, fleet } = this;
    if (options.skipIngest && !this.v1Rollouts) return;
    const cloud = await RawCloudProcess.start(this.env, `bench-raw-${this.runId}`, fleet.idPrefix);
    const pids = { cloud: cloud.pid, ...this.services };
    try {
      if (!options.skipIngest) {
        const { value, resources } = await this.measured('raw ingest', pids, () => measureRawIngest(fleet, cloud, this.versions, this.timeouts.ingestMs));
        this.result.ingest = {
          messages: value.messages,
          raw: { seconds: value.seconds, rate: value.messages / value.seconds },
          product: null,
          ratio: null,
          resources: { raw: resources, product: null },
          serverCpu: { raw: serverCpuSeconds(resources, 'raw'), product: null },
          serverCpuRatio: null,
        };
        this.log(`raw ingest: ${value.messages} frames in ${value.seconds.toFixed(2)} s`);
      }
      if (this.v1Rollouts) {
        for (const mode of MODES) {
          const version = RAW_ROLLOUT_VERSION[mode];
          const { value, resources } = await this.measured(`raw rollout (${mode})`, pids, () =>
            measureRawRollout(fleet, cloud, mode, version, this.imageFor(version), this.workDir, this.timeouts.rolloutMs),
          );
          const bare = this.bareRollouts.get(mode);
          this.result.rollouts[mode] = {
            mode,
            targets: fleet.size,
            imageBytes: options.imageBytes,
            raw: value,
            bare: bare?.value ?? null,
            product: null,
            ratio: null,
            bareRatio: null,
            resources: { bare: bare?.resources ?? null, raw: resources, product: null },
            serverCpu: { bare: bare ? serverCpuSeconds(bare.resources, 'raw') : null, raw: serverCpuSeconds(resources, 'raw'), product: null },
            serverCpuRatio: null,
          };
          this.log(`raw rollout (${mode}): ${value.seconds.toFixed(2)} s`);
        }
      }
    } finally {
      await cloud.close();
    }
  }

  async productPhases(): Promise<void> {
    const { options, fleet, result } = this;
    const db = await BenchDatabase.connect(withDatabaseName(this.env.mongoUrl, this.dbName));
    this.db = db;
    await db.drop();
    const api = await this.startApi();
    const client = new ApiClient(api.baseUrl);
    const pids = { api: api.pid, ...this.services };

    const ingest = result.ingest;
    if (ingest) {
      await this.phase('product ingest', async () => {
        const written = await apiSettled([client], ingest.messages);
        const { value, resources } = await this.measured('product ingest', pids, () =>
          measureProductIngest(fleet, db, this.versions, this.timeouts.ingestMs, { written }),
        );
        const rate = ingest.messages / value.seconds;
        ingest.product = { seconds: value.seconds, rate };
        ingest.ratio = rate / ingest.raw.rate;
        ingest.resources.product = resources;
        ingest.serverCpu.product = serverCpuSeconds(resources, 'product');
        ingest.serverCpuRatio = ratioOf(ingest.serverCpu.product, ingest.serverCpu.raw);
        this.log(`product ingest: ${value.seconds.toFixed(2)} s (ratio ${ingest.ratio.toFixed(2)})`);
      });
    } else {
      // The rollouts need the gateways registered.
      await this.phase('registration', () => measureProductIngest(fleet, db, ['0.1'], this.timeouts.ingestMs));
    }
    result.registered = await db.countGateways({ gatewayId: gatewayIdPrefix(fleet.idPrefix) });
    if (result.registered < fleet.size && Object.keys(result.rollouts).length > 0) {
      // The rollouts need every gateway registered, however the ingest went.
      const last = this.versions[this.versions.length - 1] ?? '0.1';
      const added = await registerMissing(fleet, db, last, this.timeouts.ingestMs);
      result.notes.push(`${added} of ${fleet.size} gateways were not registered after the ingest phase; each then sent one more Status, ${REGISTER_NOTE}.`);
      this.log(`registered ${added} more gateways`);
      result.registered = await db.countGateways({ gatewayId: gatewayIdPrefix(fleet.idPrefix) });
    }

    // The list before the rollouts: measured on a quiet database, and its extra gateways are gone again before a rollout to all.
    if (!options.skipList) {
      this.log(`list latency with ${options.listGateways} gateways`);
      await this.phase('list latency', async () => {
        result.list = await measureListLatency(client, db, `seed-${this.runId}`, options.listGateways, options.listRequests);
      });
    }

    if (this.warmsUp) {
      result.notes.push(
        `The measured v1 product rollouts (with one API process and with several) follow one warm-up rollout per mode through the same API processes (the same gateways, a ${WARM_UP_IMAGE_BYTES / 1024} KiB image; \`warmUp\` in the results, in no ratio): an API runs for weeks, and only its first rollouts pay V8 compiling their code. The ingest and a v2 rollout are still a fresh API's. --no-warm-up measures a fresh API's first rollouts.`,
      );
      await this.phase('warm-up rollouts', async () => {
        result.warmUp = await this.warmUp(client, db, pids);
      });
    }

    for (const mode of MODES) {
      const rollout = result.rollouts[mode];
      if (!rollout) continue;
      await this.phase(`product rollout (${mode})`, async () => {
        const version = PRODUCT_ROLLOUT_VERSION[mode];
        await client.uploadVersion(version, this.imageFor(version));
        const { value, resources } = await this.measuredRollout(`product rollout (${mode})`, pids, db, mode, () =>
          measureProductRollout(fleet, client, mode, version, this.imageFor(version), this.timeouts.rolloutMs),
        );
        rollout.product = value;
        rollout.ratio = value.seconds / rollout.raw.seconds;
        rollout.resources.product = resources;
        rollout.bareRatio = ratioOf(value.seconds, rollout.bare?.seconds);
        rollout.serverCpu.product = serverCpuSeconds(resources, 'product');
        rollout.serverCpuRatio = ratioOf(rollout.serverCpu.product, rollout.serverCpu.raw);
        const bareRatio = rollout.bareRatio === null ? '' : `, to bare ${rollout.bareRatio.toFixed(2)}`;
        this.log(
          `product rollout (${mode}): ${value.seconds.toFixed(2)} s (ratio ${rollout.ratio.toFixed(2)}${bareRatio}, server CPU ratio ${rollout.serverCpuRatio?.toFixed(2) ?? '-'}; ` +
            `request ${value.requestSeconds.toFixed(2)} s, in the API ${value.serverRequestSeconds?.toFixed(2) ?? '-'} s)`,
        );
      });
    }

    if (options.protocol === 2 && !options.skipRollout) await this.phase('product rollout (v2)', () => this.v2Rollout(client, db, pids));

    const phases = options.rolloutPhases;
    if (phases !== null) {
      await this.phase('staged rollout', async () => {
        const version = STAGED_ROLLOUT_VERSION;
        await client.uploadVersion(version, this.imageFor(version));
        const { value, resources } = await this.measured('staged rollout', pids, () =>
          measureStagedRollout(fleet, client, phases, version, this.imageFor(version), this.timeouts.rolloutMs),
        );
        result.stagedRollout = { targets: fleet.size, phases, imageBytes: options.imageBytes, ...value, resources };
        result.rollouts.phased = phasedSummary(result.stagedRollout);
        if (value.error !== null) throw new Error(`${value.error} (${value.decided} of ${fleet.size} decided; figures up to then kept)`);
        this.log(
          `staged rollout (${phases} phases): ${value.seconds.toFixed(2)} s, controller ${value.ticks} ticks, ≤ ${value.tickCpuSeconds.toFixed(2)} CPU s`,
        );
      });
    }
  }

  /** The fleet turns into v2 gateways (agents, Status with `protocol: 2`) and receives a v2 rollout; the raw list rollout is its denominator. */
  private async v2Rollout(client: ApiClient, db: BenchDatabase, pids: Record<string, number | undefined>): Promise<void> {
    const { fleet, options, result } = this;
    const agents = new BenchV2Agents(fleet, join(this.workDir, 'agents'), this.signingKey?.trustedKeys ?? new Map());
    this.v2Agents = agents;
    await agents.start(db, this.versions[this.versions.length - 1] ?? '0.1', this.timeouts.ingestMs);
    this.log(`${fleet.size} gateways registered as protocol v2; uploading ${options.imageBytes} bytes`);
    await client.uploadVersion(V2_ROLLOUT_VERSION, this.imageFor(V2_ROLLOUT_VERSION));
    this.images.delete(V2_ROLLOUT_VERSION);
    const chunksBefore = await chunksSent(client);
    const { value, resources } = await this.measured('v2 rollout', pids, () =>
      measureV2Rollout(fleet, agents, client, db, V2_ROLLOUT_VERSION, this.timeouts.rolloutMs),
    );
    const chunksAfter = await chunksSent(client);
    const list = result.rollouts.list;
    const serverCpu = { raw: list?.serverCpu.raw ?? null, product: serverCpuSeconds(resources, 'product') };
    result.rollouts.v2 = {
      targets: fleet.size,
      imageBytes: options.imageBytes,
      raw: list?.raw ?? null,
      product: value,
      ratio: list ? value.seconds / list.raw.seconds : null,
      apiPeakRssBytes: resources.api?.peakRssBytes ?? null,
      brokerPeakRssBytes: resources.broker?.peakRssBytes ?? null,
      sharedChunks: chunksAfter.shared - chunksBefore.shared,
      requestedChunks: chunksAfter.gateway - chunksBefore.gateway,
      resources: { raw: list?.resources.raw ?? null, product: resources },
      serverCpu,
      serverCpuRatio: ratioOf(serverCpu.product, serverCpu.raw),
    };
    const v2 = result.rollouts.v2;
    this.log(
      `product rollout (v2): ${value.seconds.toFixed(2)} s (ratio ${v2.ratio?.toFixed(2) ?? '-'}), API peak RSS ${v2.apiPeakRssBytes ?? '-'} bytes, broker peak RSS ${v2.brokerPeakRssBytes ?? '-'} bytes, chunks ${v2.sharedChunks} shared and ${v2.requestedChunks} on request`,
    );
  }

  /** Runs one product phase; a failure is recorded and the run goes on with the next phase. */
  private async phase(name: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.result.phaseErrors.push(message.startsWith(name) ? message : `${name}: ${message}`);
      this.log(`${name} failed: ${message}`);
      this.logApi();
    }
  }

  fail(error: unknown): void {
    this.result.error = error instanceof Error ? error.message : String(error);
    this.logApi();
  }

  private logApi(): void {
    if (this.apiLogShown) return;
    this.apiLogShown = true;
    if (this.api) this.log(`API log (${join(this.workDir, 'api.log')}):\n${this.api.logTail()}`);
  }

  async cleanUp(): Promise<void> {
    const { fleet, options } = this;
    const replyErrors = fleet.replyErrors + (this.v2Agents?.replyErrors ?? 0);
    this.result.checks = { invalidFrames: fleet.invalidFrames, corruptImages: fleet.corruptImages, replyErrors };
    await cleanUp(this.log, [
      ['stop the API', async () => Promise.all([this.api, ...this.scaleOutApis].map((api) => api?.stop()))],
      ['stop the v2 agents', async () => this.v2Agents?.stop()],
      ['disconnect the gateways', () => fleet.close()],
      ['drop the database', async () => (options.keepDatabase ? this.log(`kept database ${this.dbName}`) : this.db?.drop())],
      ['close the database', async () => this.db?.close()],
      [
        'forget the API sessions',
        async () => Promise.all(this.apiInstanceIds().map((instance) => forgetApiSession(this.env, `${this.apiClientId}-${instance}`))),
      ],
      ['remove the work folder', async () => (failed(this.result) ? this.log(`kept ${this.workDir}`) : rmSync(this.workDir, { recursive: true, force: true }))],
    ]);
  }

  // Whether the measured v1 rollouts get warm-up rollouts before them (with one API process and with several).
  private get warmsUp(): boolean {
    return this.options.warmUp && MODES.some((mode) => this.result.rollouts[mode]);
  }

  // Recorded (with their resources) but in no ratio: see WARM_UP_IMAGE_BYTES. `apis`: every API process that decides targets.
  private async warmUp(
    client: ApiClient,
    db: BenchDatabase,
    pids: Record<string, number | undefined>,
    apis: readonly ApiClient[] = [client],
  ): Promise<WarmUpRollout[]> {
    const warmUps: WarmUpRollout[] = [];
    const processes = apis.length === 1 ? '' : `, ${apis.length} processes`;
    for (const mode of MODES) {
      if (!this.result.rollouts[mode]) continue;
      const version = WARM_UP_VERSION[mode];
      const imageBytes = Math.min(WARM_UP_IMAGE_BYTES, this.options.imageBytes);
      const image = this.imageFor(version, imageBytes);
      await client.uploadVersion(version, image);
      const { value, resources } = await this.measuredRollout(`warm-up rollout (${mode}${processes})`, pids, db, mode, () =>
        measureProductRollout(this.fleet, client, mode, version, image, this.timeouts.rolloutMs, apis),
      );
      const serverCpu = serverCpuSeconds(resources, 'product');
      warmUps.push({ mode, targets: this.fleet.size, imageBytes, seconds: value.seconds, confirmed: value.confirmed, resources, serverCpu });
      this.log(`warm-up rollout (${mode}${processes}, ${imageBytes} bytes): ${value.seconds.toFixed(2)} s, server CPU ${serverCpu?.toFixed(2) ?? '-'} s`);
    }
    return warmUps;
  }

  private imageFor(version: string, imageBytes = this.options.imageBytes): Buffer {
    const image = this.images.get(version) ?? buildBenchImage(this.runId, version, imageBytes);
    this.images.set(version, image);
    return image;
  }

  /**
   * The ingest and both rollouts again, through `--api-instances` API processes sharing a fresh
   * database and the broker (the one-process API stopped first), each next to the ratio with one.
   */
  async scaleOutPhases(): Promise<void> {
    const { options, fleet, result } = this;
    const count = options.apiInstances;
    await this.api?.stop();
    // Its persistent session is still a member of the shared group, and Mosquitto would go on handing
    // it a share of the messages (README, "Running several API processes"): the bench ends it at once.
    await forgetApiSession(this.env, `${this.apiClientId}-bench`);
    const db = await BenchDatabase.connect(withDatabaseName(this.env.mongoUrl, `${this.dbName}-x${count}`));
    try {
      await db.drop();
      const resourcesDir = join(this.workDir, `resources-x${count}`);
      mkdirSync(resourcesDir);
      for (let index = 0; index < count; index++) {
        this.scaleOutApis.push(this.apiProcess(`bench-${index + 1}`, db.name, resourcesDir, join(this.workDir, `api-x${count}-${index + 1}.log`)));
      }
      this.log(`starting ${count} API processes on one database and broker`);
      // The first one creates the database: FerretDB (SQLite) once crashed with SIGBUS as two started on a new one at once.
      const [first, ...others] = this.scaleOutApis;
      await first.start();
      await Promise.all(others.map((api) => api.start()));
      const pids = Object.fromEntries([...this.scaleOutApis.map((api, index) => [`api-${index + 1}`, api.pid]), ...Object.entries(this.services)]);
      const client = new ApiClient(this.scaleOutApis[0].baseUrl);
      const scaleOut: ScaleOutResult = { apiInstances: count, ingest: null, rollouts: {} };
      result.scaleOut = scaleOut;
      const ingest = result.ingest;
      await this.phase(`product ingest (${count} processes)`, async () => {
        const apis = this.scaleOutApis.map((api) => new ApiClient(api.baseUrl));
        const settled = await apiSettled(apis, fleet.size * this.versions.length);
        const { value, resources } = await this.measured(`product ingest (${count} processes)`, pids, () =>
          measureProductIngest(fleet, db, this.versions, this.timeouts.ingestMs, { written: settled, settled }),
        );
        if (!ingest) return;
        const ratio = ingest.messages / value.seconds / ingest.raw.rate;
        // Done by `settled` (everything written): counted again, as the count of the last poll may predate the last write.
        const atLast = await db.countGatewaysAtVersion(fleet.idPrefix, this.versions[this.versions.length - 1] ?? '');
        scaleOut.ingest = {
          seconds: value.seconds,
          ratio,
          oneProcessRatio: ingest.ratio,
          serverCpuSeconds: serverSeconds(resources),
          gateways: fleet.size,
          atLast,
        };
        this.log(
          `product ingest, ${count} processes: ${value.seconds.toFixed(2)} s (ratio ${ratio.toFixed(2)}, one process ${ingest.ratio?.toFixed(2) ?? '-'}), ${atLast} of ${fleet.size} gateways at their last Status`,
        );
      });
      if (this.warmsUp) {
        await this.phase(`warm-up rollouts (${count} processes)`, async () => {
          scaleOut.warmUp = await this.warmUp(
            client,
            db,
            pids,
            this.scaleOutApis.map((api) => new ApiClient(api.baseUrl)),
          );
        });
      }
      for (const mode of MODES) {
        const rollout = result.rollouts[mode];
        if (!rollout) continue;
        await this.phase(`product rollout (${mode}, ${count} processes)`, async () => {
          const version = SCALE_OUT_ROLLOUT_VERSION[mode];
          await client.uploadVersion(version, this.imageFor(version));
          const apis = this.scaleOutApis.map((api) => new ApiClient(api.baseUrl));
          const { value, resources } = await this.measuredRollout(`product rollout (${mode}, ${count} processes)`, pids, db, mode, () =>
            measureProductRollout(fleet, client, mode, version, this.imageFor(version), this.timeouts.rolloutMs, apis),
          );
          const ratio = value.seconds / rollout.raw.seconds;
          scaleOut.rollouts[mode] = { seconds: value.seconds, ratio, oneProcessRatio: rollout.ratio, serverCpuSeconds: serverSeconds(resources) };
          this.log(
            `product rollout (${mode}), ${count} processes: ${value.seconds.toFixed(2)} s (ratio ${ratio.toFixed(2)}, one process ${rollout.ratio?.toFixed(2) ?? '-'})`,
          );
        });
      }
    } finally {
      if (!options.keepDatabase) await db.drop().catch(() => undefined);
      await db.close();
    }
  }

  // Every API process this run may have started: the one of the product phases, and those of the scale-out pass.
  private apiInstanceIds(): string[] {
    return ['bench', ...Array.from({ length: this.options.apiInstances > 1 ? this.options.apiInstances : 0 }, (_, index) => `bench-${index + 1}`)];
  }

  private async startApi(): Promise<ApiProcess> {
    const resourcesDir = join(this.workDir, 'resources');
    mkdirSync(resourcesDir);
    const api = this.apiProcess('bench', this.dbName, resourcesDir, join(this.workDir, 'api.log'));
    this.api = api;
    this.log(`starting the API (${this.options.apiEntry}, database ${this.dbName})`);
    await api.start();
    if (this.options.profile) this.result.notes.push(`CPU profile of the API: ${this.profileDir()}`);
    return api;
  }

  private profileDir(): string {
    return join(this.options.resultsDir ? resolve(this.options.resultsDir) : this.workDir, `profile-${this.runId}`);
  }

  private apiProcess(instanceId: string, dbName: string, resourcesDir: string, logFile: string): ApiProcess {
    const profileDir = this.profileDir();
    return new ApiProcess({
      entry: this.options.apiEntry,
      logFile,
      cpuProfileDir: this.options.profile ? profileDir : undefined,
      startTimeoutMs: this.timeouts.apiStartMs,
      env: {
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        AUTH_MODE: 'none',
        LOG_LEVEL: 'warn',
        MONGO_URL: withDatabaseName(this.env.mongoUrl, dbName),
        MQTT_CLIENT_ID: this.apiClientId,
        // Its persistent session: MQTT_CLIENT_ID-API_INSTANCE_ID.
        API_INSTANCE_ID: instanceId,
        RESOURCES_DIR: resourcesDir,
        WEB_DIST_DIR: join(this.workDir, 'no-web'),
        // A rollout that is merely slow must not turn into time-outs.
        DEPLOYMENT_TIMEOUT_S: String(Math.ceil((this.timeouts.rolloutMs / 1000) * 2)),
        MAX_IMAGE_BYTES: String(Math.max(DEFAULT_MAX_IMAGE_BYTES, this.options.imageBytes)),
        ...(this.signingKey ? { SIGNING_KEY_FILE: this.signingKey.file } : {}),
      },
    });
  }
}

// API processes + database + broker: every monitored process but the simulated fleet and the raw cloud side.
function serverSeconds(resources: PhaseResources): number {
  return Object.entries(resources as Record<string, ResourceUsage | undefined>)
    .filter(([name]) => name !== 'bench' && name !== 'cloud')
    .reduce((sum, [, usage]) => sum + (usage?.cpuSeconds ?? 0), 0);
}

async function cleanUp(log: Log, steps: [string, () => Promise<unknown>][]): Promise<void> {
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (error) {
      log(`could not ${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** The API's count of published v2 chunks, by topic. */
async function chunksSent(client: ApiClient): Promise<{ shared: number; gateway: number }> {
  const [shared, gateway] = await Promise.all([
    client.metric('um_v2_chunks_sent_total{topic="shared"}'),
    client.metric('um_v2_chunks_sent_total{topic="gateway"}'),
  ]);
  return { shared, gateway };
}
