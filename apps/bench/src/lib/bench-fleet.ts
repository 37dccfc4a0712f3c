import { performance } from 'node:perf_hooks';
import { payloadCrc32 } from '@upgrade-manager/frame-codec';
import { GatewayFleet, fleetGatewayIds, type GatewayClient } from '@upgrade-manager/gateway-client';
import { readBenchImageHeader } from './bench-image';
import type { BenchEnv } from './bench-env';
import { Countdown } from './waiting';

/** The company every simulated gateway reports; the benchmark's database is its own. */
export const BENCH_COMPANY_ID = '2';

export interface FleetStart {
  connected: number;
  failed: number;
  seconds: number;
  firstError: string | null;
}

/** Progress of one image through the fleet. */
export interface RolloutProgress {
  /** Gateways that received the image. */
  delivered: Countdown;
  /** Gateways whose Status reply the broker acknowledged. */
  replied: Countdown;
}

interface Rollout extends RolloutProgress {
  imageBytes: number;
  /** CRC-32 of the image as a frame header carries it. */
  imageCrc32: number;
  /** gatewayId → performance.now() of the first receipt. */
  receivedAt: Map<string, number>;
}

/**
 * N simulated gateways (one MQTT connection each, through GatewayFleet). A gateway that receives
 * an Upgrade carrying one of this run's images checks it, "installs" it and reports Status with its
 * version, once per version, as a field gateway does. The check is the size and CRC-32 of the image
 * sent: the client has verified the content against the frame's CRC, so a second pass over every
 * copy (1 GiB per rollout to 1,000 gateways, read from memory) would only cost the fleet CPU.
 */
export class BenchFleet {
  readonly ids: readonly string[];
  /** Every id starts with it, and no other gateway's does. */
  readonly idPrefix: string;
  readonly fleet: GatewayFleet;
  private readonly rollouts = new Map<string, Rollout>();
  private readonly idSet: ReadonlySet<string>;
  invalidFrames = 0;
  /** Upgrades of this run whose bytes differ from the image sent. */
  corruptImages = 0;
  replyErrors = 0;

  constructor(
    env: BenchEnv,
    readonly runId: string,
    count: number,
    concurrency: number,
  ) {
    this.idPrefix = `bench-${runId}-`;
    this.ids = fleetGatewayIds(`bench-${runId}`, count);
    this.idSet = new Set(this.ids);
    this.fleet = new GatewayFleet({
      gatewayIds: this.ids,
      concurrency,
      client: {
        url: env.mqttUrl,
        companyId: BENCH_COMPANY_ID,
        username: env.gatewayUsername,
        password: env.gatewayPassword,
        // Throw-away ids: the broker keeps no session for them afterwards.
        clean: true,
        // One process plays every gateway; under load it may not ping within the usual minute.
        keepalive: 600,
        connectTimeoutMs: 120_000,
      },
    });
    for (const client of this.fleet.clients) {
      client.onUpgrade((content, message) => this.onUpgrade(client, content, message.crc32));
      client.on('invalidFrame', () => this.invalidFrames++);
    }
  }

  get size(): number {
    return this.ids.length;
  }

  has(gatewayId: string): boolean {
    return this.idSet.has(gatewayId);
  }

  async start(): Promise<FleetStart> {
    const started = performance.now();
    const result = await this.fleet.start();
    const first = result.failed[0]?.error;
    return {
      connected: result.connected,
      failed: result.failed.length,
      seconds: (performance.now() - started) / 1000,
      firstError: first === undefined ? null : first instanceof Error ? first.message : String(first),
    };
  }

  /** The listed gateways send one Status each; resolves when the broker has acknowledged them. */
  async sendStatusFrom(gatewayIds: readonly string[], version: string): Promise<void> {
    await Promise.all(gatewayIds.map((id) => this.fleet.get(id)?.sendStatus({ version })));
  }

  /**
   * Every gateway sends one Status per version, in order, all gateways at once; resolves when the
   * broker has acknowledged them all. The K Statuses are dated one second apart, the last one now,
   * as a field gateway's are: the API stores the one sent last, whatever order its processes write them in.
   */
  async sendStatuses(versions: readonly string[]): Promise<void> {
    const first = Math.floor(Date.now() / 1000) - versions.length + 1;
    await Promise.all(this.fleet.clients.map((client) => Promise.all(versions.map((version, index) => client.sendStatus({ version }, first + index)))));
  }

  /** From now on, gateways install `image` as `version` when it arrives and reply with a Status. */
  expectImage(version: string, image: Buffer): RolloutProgress {
    const progress = { delivered: new Countdown(this.size), replied: new Countdown(this.size) };
    this.rollouts.set(version, { imageBytes: image.byteLength, imageCrc32: payloadCrc32(image), receivedAt: new Map(), ...progress });
    return progress;
  }

  /** performance.now() of the last gateway's receipt of `version`; null if none received it. */
  lastReceiptAt(version: string): number | null {
    const times = [...(this.rollouts.get(version)?.receivedAt.values() ?? [])];
    return times.length === 0 ? null : Math.max(...times);
  }

  async close(): Promise<void> {
    await this.fleet.close();
  }

  /** `crc32`: the frame header's, already checked against `content` by the client. */
  private onUpgrade(client: GatewayClient, content: Buffer, crc32: number): void {
    const header = readBenchImageHeader(content);
    // Other broadcasts on the shared broker (other runs, tests) are not ours.
    if (header === null || header.runId !== this.runId) return;
    const rollout = this.rollouts.get(header.version);
    if (!rollout) return;
    if (content.byteLength !== rollout.imageBytes || crc32 !== rollout.imageCrc32) {
      this.corruptImages++;
      return;
    }
    if (rollout.receivedAt.has(client.gatewayId)) return;
    rollout.receivedAt.set(client.gatewayId, performance.now());
    rollout.delivered.tick();
    client.sendStatus({ version: header.version, timestamp: Date.now() }).then(
      () => rollout.replied.tick(),
      () => this.replyErrors++,
    );
  }
}
