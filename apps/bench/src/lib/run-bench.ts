import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiClient } from './api-client';
import { ApiProcess, servicePid } from './api-process';
import { loadBenchEnv, withDatabaseName, type BenchEnv } from './bench-env';
import { BenchDatabase, gatewayIdPrefix } from './bench-database';
import { BenchFleet } from './bench-fleet';
import { buildBenchImage } from './bench-image';
import type { BenchOptions } from './bench-options';
import { evaluateTargets, type BenchResult, type PhaseResources, type RolloutResult } from './bench-result';
import { ResourceMonitors } from './process-stats';
import { measureListLatency, measureProductIngest, measureProductRollout, POLL_INTERVAL_MS } from './product-phases';
import { connectCloud, measureRawIngest, measureRawRollout, type RolloutMode } from './raw-broker';

export type Log = (message: string) => void;

const MODES: readonly RolloutMode[] = ['broadcast', 'list'];
// Versions each phase installs; the rollouts' are newer than the ingest's.
const RAW_ROLLOUT_VERSION: Record<RolloutMode, string> = { broadcast: '1.1', list: '1.2' };
const PRODUCT_ROLLOUT_VERSION: Record<RolloutMode, string> = { broadcast: '2.0', list: '3.0' };

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
    // At least 200 Status frames per second, and 5 MB/s of image fan-out.
    ingestMs: 60_000 + options.gateways * options.statuses * 5,
    rolloutMs: 60_000 + (options.gateways * options.imageBytes) / 5_000,
    apiStartMs: 90_000,
  };
}

function commandLine(argv: readonly string[]): string {
  return ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ');
}

function emptyResult(options: BenchOptions, argv: readonly string[]): BenchResult {
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
    list: null,
    checks: { invalidFrames: 0, corruptImages: 0, replyErrors: 0 },
    error: null,
    notes: [
      'Raw-broker phases run before the API is started, so no API of this run consumes their traffic.',
      `Product phases are done when the database shows it (polled every ${POLL_INTERVAL_MS} ms); raw phases when the last message arrives.`,
      'Gateways, broker, database and API share this machine, and the broker is shared with any other client running at the time.',
    ],
    targets: [],
  };
}

/** Runs `work` between begin and end of CPU/memory monitoring of the given processes. */
async function monitored<T>(pids: Record<string, number | undefined>, work: () => Promise<T>): Promise<{ value: T; resources: PhaseResources }> {
  const monitors = new ResourceMonitors(pids);
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
 * database dropped, also when a phase fails (the result then carries the error).
 */
export async function runBench(options: BenchOptions, argv: readonly string[], log: Log): Promise<BenchResult> {
  const env = loadBenchEnv();
  const result = emptyResult(options, argv);
  const runId = randomBytes(4).toString('hex');
  const timeouts = phaseTimeouts(options);
  const workDir = mkdtempSync(join(tmpdir(), `upgrade-manager-bench-${runId}-`));
  const dbName = `um-bench-${runId}`;
  const apiClientId = `um-bench-api-${runId}`;
  const services = { broker: servicePid(env.root, 'mosquitto'), database: servicePid(env.root, 'ferretdb'), bench: process.pid };
  const versions = ingestVersions(options.statuses);
  const images = new Map<string, Buffer>();
  const imageFor = (version: string): Buffer => {
    const image = images.get(version) ?? buildBenchImage(runId, version, options.imageBytes);
    images.set(version, image);
    return image;
  };

  const fleet = new BenchFleet(env, runId, options.gateways, options.connectConcurrency);
  let api: ApiProcess | undefined;
  let db: BenchDatabase | undefined;
  const raw: { ingest?: { messages: number; seconds: number; resources: PhaseResources }; rollouts: Partial<Record<RolloutMode, { seconds: number; deliveredSeconds: number; resources: PhaseResources }>> } = { rollouts: {} };
  try {
    log(`run ${runId}: connecting ${options.gateways} gateways to ${env.mqttUrl}`);
    result.fleet = await fleet.start();
    log(`${result.fleet.connected} connected in ${result.fleet.seconds.toFixed(1)} s`);
    if (result.fleet.failed > 0) throw new Error(`${result.fleet.failed} gateways did not connect (first: ${result.fleet.firstError})`);

    // The raw broker first, while no API of this run is subscribed.
    if (!options.skipIngest) {
      const { value, resources } = await monitored(services, () => measureRawIngest(fleet, env, versions, timeouts.ingestMs));
      raw.ingest = { ...value, resources };
      log(`raw ingest: ${value.messages} frames in ${value.seconds.toFixed(2)} s`);
    }
    if (!options.skipRollout) {
      for (const mode of MODES) {
        const version = RAW_ROLLOUT_VERSION[mode];
        const { value, resources } = await monitored(services, () => measureRawRollout(fleet, env, mode, version, imageFor(version), timeouts.rolloutMs));
        raw.rollouts[mode] = { ...value, resources };
        log(`raw rollout (${mode}): ${value.seconds.toFixed(2)} s`);
      }
    }

    db = await BenchDatabase.connect(withDatabaseName(env.mongoUrl, dbName));
    await db.drop();
    const resourcesDir = join(workDir, 'resources');
    mkdirSync(resourcesDir);
    const resultsDir = options.resultsDir ? resolve(options.resultsDir) : workDir;
    api = new ApiProcess({
      entry: options.apiEntry,
      logFile: join(workDir, 'api.log'),
      cpuProfileDir: options.profile ? join(resultsDir, `profile-${runId}`) : undefined,
      startTimeoutMs: timeouts.apiStartMs,
      env: {
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        AUTH_MODE: 'none',
        LOG_LEVEL: 'warn',
        MONGO_URL: withDatabaseName(env.mongoUrl, dbName),
        MQTT_CLIENT_ID: apiClientId,
        RESOURCES_DIR: resourcesDir,
        WEB_DIST_DIR: join(workDir, 'no-web'),
        // A rollout that is merely slow must not turn into time-outs.
        DEPLOYMENT_TIMEOUT_S: String(Math.ceil((timeouts.rolloutMs / 1000) * 2)),
      },
    });
    log(`starting the API (${options.apiEntry}, database ${dbName})`);
    await api.start();
    const client = new ApiClient(api.baseUrl);
    const withApi = { api: api.pid, ...services };

    if (!options.skipIngest && raw.ingest) {
      const { value, resources } = await monitored(withApi, () => measureProductIngest(fleet, db as BenchDatabase, versions, timeouts.ingestMs));
      const rawRate = raw.ingest.messages / raw.ingest.seconds;
      const productRate = raw.ingest.messages / value.seconds;
      result.ingest = {
        messages: raw.ingest.messages,
        raw: { seconds: raw.ingest.seconds, rate: rawRate },
        product: { seconds: value.seconds, rate: productRate },
        ratio: productRate / rawRate,
        resources: { raw: raw.ingest.resources, product: resources },
      };
      log(`product ingest: ${value.seconds.toFixed(2)} s (ratio ${result.ingest.ratio.toFixed(2)})`);
    } else {
      // The rollouts need the gateways registered.
      await measureProductIngest(fleet, db, ['0.1'], timeouts.ingestMs);
    }
    result.registered = await db.countGateways({ gatewayId: gatewayIdPrefix(fleet.idPrefix) });

    if (!options.skipRollout) {
      for (const mode of MODES) await client.uploadVersion(PRODUCT_ROLLOUT_VERSION[mode], imageFor(PRODUCT_ROLLOUT_VERSION[mode]));
      for (const mode of MODES) {
        const version = PRODUCT_ROLLOUT_VERSION[mode];
        const { value, resources } = await monitored(withApi, () =>
          measureProductRollout(fleet, client, db as BenchDatabase, mode, version, imageFor(version), timeouts.rolloutMs),
        );
        const rawRollout = raw.rollouts[mode];
        if (!rawRollout) throw new Error(`no raw rollout (${mode}) to compare with`);
        const rollout: RolloutResult = {
          mode,
          targets: fleet.size,
          imageBytes: options.imageBytes,
          raw: { seconds: rawRollout.seconds, deliveredSeconds: rawRollout.deliveredSeconds },
          product: value,
          ratio: value.seconds / rawRollout.seconds,
          resources: { raw: rawRollout.resources, product: resources },
        };
        result.rollouts[mode] = rollout;
        log(`product rollout (${mode}): ${value.seconds.toFixed(2)} s (ratio ${rollout.ratio.toFixed(2)})`);
      }
    }

    if (!options.skipList) {
      log(`list latency with ${options.listGateways} gateways`);
      result.list = await measureListLatency(client, db, `seed-${runId}`, options.listGateways, options.listRequests);
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    if (api) log(`API log (${join(workDir, 'api.log')}):\n${api.logTail()}`);
  } finally {
    result.checks = { invalidFrames: fleet.invalidFrames, corruptImages: fleet.corruptImages, replyErrors: fleet.replyErrors };
    await cleanUp(log, [
      ['stop the API', async () => api?.stop()],
      ['disconnect the gateways', () => fleet.close()],
      ['drop the database', async () => (options.keepDatabase ? log(`kept database ${dbName}`) : db?.drop())],
      ['close the database', async () => db?.close()],
      ['forget the API session', async () => (api ? forgetApiSession(env, apiClientId) : undefined)],
      ['remove the work folder', async () => (result.error ? log(`kept ${workDir}`) : rmSync(workDir, { recursive: true, force: true }))],
    ]);
  }
  result.finishedAt = new Date().toISOString();
  result.targets = evaluateTargets(result);
  return result;
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
