import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { UpgradeAgent, type GatewayClient } from '@upgrade-manager/gateway-client';
import { generateSigningKey, parseTrustedKeys, trustedKeyLine, type TrustedKeys } from '@upgrade-manager/protocol-v2';
import type { ApiClient } from './api-client';
import { gatewayIdPrefix, type BenchDatabase, type TargetCounts } from './bench-database';
import type { BenchFleet, RolloutProgress } from './bench-fleet';
import { Countdown, pollUntil } from './waiting';

/** The largest image a v1 rollout can carry: one MQTT packet (256 MiB) less room for the frame header and topic. */
export const MAX_V1_ROLLOUT_BYTES = 256 * 1024 * 1024 - 64 * 1024;
// Agents of one process share its disk and its four fs threads (a save syncs the staging file):
// they save their progress far less often than a device would; the bench does not test resuming.
const AGENT_SAVE_INTERVAL_MS = 60_000;
const POLL_INTERVAL_MS = 250;
// A 1 GiB image takes minutes to stream: only this long without any gateway progressing is a stall.
const STALL_MS = 600_000;
// Until every agent replied with its new version, the database (loaded by the rollout itself) is
// asked for the deployment's counts only this often: a failed target shows there, not in the agents.
const COUNT_INTERVAL_BEFORE_REPLIES_MS = 5_000;

/** The API's manifest signing key (written for SIGNING_KEY_FILE) and the trusted keys of the simulated gateways. */
export function benchSigningKey(dir: string): { file: string; trustedKeys: TrustedKeys } {
  const key = generateSigningKey();
  const file = join(dir, 'signing-key.pem');
  writeFileSync(file, key.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  return { file, trustedKeys: parseTrustedKeys(trustedKeyLine(key)) };
}

/**
 * The bench fleet speaking protocol v2: each gateway runs the reference UpgradeAgent (staging
 * file, SHA-256 and signature checks, progress reports), "installs" by doing nothing more and
 * reports Status with the new version and `protocol: 2`.
 */
export class BenchV2Agents {
  private readonly agents: UpgradeAgent[] = [];
  private expected: { version: string; progress: RolloutProgress } | null = null;
  /** Rejected or failed deliveries, with the agent's reason. */
  readonly failures: string[] = [];
  /** Problems the agents survived (a failed write or publish), the first few. */
  readonly problems: string[] = [];
  replyErrors = 0;

  constructor(
    private readonly fleet: BenchFleet,
    stateDir: string,
    trustedKeys: TrustedKeys,
  ) {
    for (const client of fleet.fleet.clients) {
      const agent = new UpgradeAgent({
        gatewayId: client.gatewayId,
        stateDir: join(stateDir, client.gatewayId),
        trustedKeys,
        transport: client.agentTransport(),
        installer: { install: async () => undefined, healthCheck: async () => undefined, rollback: async () => undefined },
        onInstalled: async (version) => this.installed(client, version),
        saveIntervalMs: AGENT_SAVE_INTERVAL_MS,
      });
      client.on('otherMessage', (topic, bytes) => agent.handle(topic, bytes));
      agent.on('problem', (error) => {
        if (this.problems.length < 5) this.problems.push(`${client.gatewayId}: ${error.message}`);
      });
      agent.on('progress', ({ state, reason }) => {
        if (state === 'rejected' || state === 'failed') this.failures.push(`${client.gatewayId}: ${state}: ${reason ?? ''}`);
      });
      this.agents.push(agent);
    }
  }

  /** Starts the agents and registers every gateway as a v2 one (a Status with `protocol: 2`), done when the database shows it. */
  async start(db: BenchDatabase, version: string, timeoutMs: number): Promise<void> {
    await Promise.all(this.agents.map((agent) => agent.start()));
    await Promise.all(this.fleet.fleet.clients.map((client) => client.sendStatus({ version, protocol: 2 })));
    let registered = 0;
    await pollUntil(
      async () => {
        registered = await db.countGateways({ gatewayId: gatewayIdPrefix(this.fleet.idPrefix), protocol: 2 });
        return registered >= this.fleet.size;
      },
      { timeoutMs, intervalMs: POLL_INTERVAL_MS, what: 'v2 registration', progress: () => `${registered} of ${this.fleet.size} registered as v2` },
    );
  }

  /** From now on, an installation of `version` counts as delivered, and its Status as replied. */
  expect(version: string): RolloutProgress {
    const progress = { delivered: new Countdown(this.fleet.size), replied: new Countdown(this.fleet.size) };
    this.expected = { version, progress };
    return progress;
  }

  async stop(): Promise<void> {
    await Promise.all(this.agents.map((agent) => agent.stop()));
  }

  private async installed(client: GatewayClient, version: string): Promise<void> {
    const expected = this.expected;
    if (expected?.version === version) expected.progress.delivered.tick();
    try {
      await client.sendStatus({ version, timestamp: Date.now(), protocol: 2 });
      if (expected?.version === version) expected.progress.replied.tick();
    } catch {
      this.replyErrors++;
    }
  }
}

export interface V2RolloutMeasure {
  seconds: number;
  /** Until the last gateway installed the image (verified, "installed"). */
  deliveredSeconds: number;
  requestSeconds: number;
  confirmed: number;
}

/** POST /api/deployments to the listed v2 gateways; done when every target is confirmed in the database. */
export async function measureV2Rollout(
  fleet: BenchFleet,
  agents: BenchV2Agents,
  api: ApiClient,
  db: BenchDatabase,
  version: string,
  timeoutMs: number,
): Promise<V2RolloutMeasure> {
  const { delivered, replied } = agents.expect(version);
  const started = performance.now();
  const deployment = await api.createDeployment({ version, gatewayIds: [...fleet.ids] });
  const requestDone = performance.now();
  let counts: TargetCounts = { confirmed: 0, failed: 0 };
  let countedAt = -Infinity;
  const done = await pollUntil(
    async () => {
      if (agents.failures.length > 0) throw new Error(`v2 rollout: ${agents.failures.length} deliveries failed, first ${agents.failures[0]}`);
      if (replied.value < fleet.size && performance.now() - countedAt < COUNT_INTERVAL_BEFORE_REPLIES_MS) return false;
      countedAt = performance.now();
      counts = await db.targetCounts(deployment.id, fleet.idPrefix);
      if (counts.failed > 0) throw new Error(`v2 rollout: ${counts.failed} targets failed in deployment ${deployment.id}`);
      return counts.confirmed >= fleet.size;
    },
    {
      timeoutMs,
      intervalMs: POLL_INTERVAL_MS,
      what: 'product rollout (v2)',
      progress: () =>
        `${delivered.value} installed, ${replied.value} replied, ${counts.confirmed} confirmed of ${fleet.size}` +
        (agents.problems.length > 0 ? `; agent problems: ${agents.problems.join('; ')}` : ''),
      stallMs: STALL_MS,
      progressValue: () => counts.confirmed + delivered.value,
    },
  );
  const deliveredAt = delivered.value >= fleet.size ? await delivered.done : done;
  return {
    seconds: (done - started) / 1000,
    deliveredSeconds: (deliveredAt - started) / 1000,
    requestSeconds: (requestDone - started) / 1000,
    confirmed: counts.confirmed,
  };
}
