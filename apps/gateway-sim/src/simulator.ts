import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrustedKeys, type TrustedKeys } from '@upgrade-manager/protocol-v2';
import { GatewayFleet, UpgradeAgent, fleetGatewayIds, type FleetStartResult, type GatewayClient, type MqttConnect } from '@upgrade-manager/gateway-client';
import { FleetStats, formatProgressLine } from './fleet-stats';
import { describeInvalidFrame, describeSimEvent, logLine } from './message-log';
import { ProgressLine, type ProgressOutput } from './progress-line';
import type { SimOptions } from './sim-options';
import { SimulatedGateway, type SimEvent } from './simulated-gateway';
import { simulatedInstaller } from './simulated-installer';

export interface SimulatorIo {
  stdout: ProgressOutput;
  /** Protocol 2 with --exit-after-bytes: a gateway received that many bytes and saved its state. */
  onExitAfterBytes?: (gatewayId: string) => void;
}

const RECONNECT_PERIOD_MS = 5_000;

/**
 * One gateway (a log line per message) or a fleet (one progress line) of simulated gateways on
 * real MQTT connections: each GatewayClient drives a SimulatedGateway.
 */
export class Simulator {
  readonly stats: FleetStats;
  readonly fleet: GatewayFleet;
  private readonly gateways = new Map<GatewayClient, SimulatedGateway>();
  private readonly agents = new Map<string, UpgradeAgent>();
  private readonly trustedKeys: TrustedKeys;
  private readonly progress: ProgressLine | undefined;
  private readonly reportedErrors = new Set<string>();
  private stopped = false;
  private readonly startedAgents = new Set<UpgradeAgent>();

  constructor(
    private readonly options: SimOptions,
    private readonly io: SimulatorIo,
    connectFn?: MqttConnect,
  ) {
    this.trustedKeys = options.trustedKeyFile === undefined ? new Map() : parseTrustedKeys(readFileSync(options.trustedKeyFile, 'utf8'));
    const ids = options.count === null ? [options.gatewayId] : fleetGatewayIds(options.gatewayId, options.count);
    this.stats = new FleetStats(ids.length, options.version);
    // Read once and shared by every client.
    const ca = options.caFile === undefined ? undefined : readFileSync(options.caFile);
    this.fleet = new GatewayFleet({
      gatewayIds: ids,
      client: {
        url: options.url,
        companyId: options.companyId,
        username: options.username,
        password: options.password,
        ca,
        rejectUnauthorized: options.rejectUnauthorized,
        clean: options.clean,
        reconnectPeriod: RECONNECT_PERIOD_MS,
        connectTimeoutMs: options.connectTimeoutMs,
      },
      concurrency: options.concurrency,
      connectFn,
    });
    if (this.fleetMode) this.progress = new ProgressLine(io.stdout, () => this.progressLine());
    for (const client of this.fleet.clients) this.attach(client);
    this.fleet.on('clientConnect', (client) => void this.onConnect(client));
    this.fleet.on('clientFailed', (client, error) => {
      this.stats.connectFailures++;
      this.note(client.gatewayId, `could not connect to ${this.options.url}: ${errorMessage(error)}`);
    });
  }

  private async onConnect(client: GatewayClient): Promise<void> {
    const gateway = this.gateways.get(client);
    const agent = this.agents.get(client.gatewayId);
    // Once: the agent's subscriptions live in the persistent session, and start() resumes a download.
    if (agent && !this.startedAgents.has(agent)) {
      this.startedAgents.add(agent);
      try {
        await agent.start();
        // A restart after an install: the gateway runs (and reports) what the agent installed.
        if (agent.installedVersion !== null) gateway?.runVersion(agent.installedVersion);
      } catch (error) {
        this.note(client.gatewayId, `upgrade agent: ${errorMessage(error)}`);
      }
    }
    await gateway?.start();
  }

  private get fleetMode(): boolean {
    return this.options.count !== null;
  }

  /** The simulated gateway of `gatewayId`, for tests. */
  gateway(gatewayId: string): SimulatedGateway | undefined {
    const client = this.fleet.get(gatewayId);
    return client && this.gateways.get(client);
  }

  /** The protocol-v2 agent of `gatewayId`, for tests. */
  agent(gatewayId: string): UpgradeAgent | undefined {
    return this.agents.get(gatewayId);
  }

  /** Connects the gateways; each sends its start-up messages as soon as it is connected. */
  async start(): Promise<FleetStartResult> {
    if (this.fleetMode) {
      this.io.stdout.write(
        `Simulating ${this.fleet.size} gateways ${this.options.gatewayId}-1..${this.fleet.size} of company ${this.options.companyId} on ${this.options.url} (Ctrl-C stops)\n`,
      );
      this.progress?.start();
    } else {
      this.print(this.options.gatewayId, `connecting to ${this.options.url} as company ${this.options.companyId}, version ${this.options.version}`);
    }
    return this.fleet.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const gateway of this.gateways.values()) gateway.stop();
    await Promise.all([...this.startedAgents].map((agent) => agent.stop()));
    // The last line shows the fleet as it was, not as it is while disconnecting.
    this.progress?.stop();
    await this.fleet.close();
    if (!this.fleetMode) this.print(this.options.gatewayId, 'disconnected');
  }

  progressLine(): string {
    this.stats.connected = this.fleet.connectedCount;
    return formatProgressLine(this.stats);
  }

  private attach(client: GatewayClient): void {
    const gateway = new SimulatedGateway(
      client,
      {
        gatewayId: client.gatewayId,
        companyId: this.options.companyId,
        version: this.options.version,
        intervalMs: this.options.intervalMs,
        upgradeDelayMs: this.options.upgradeDelayMs,
        failRate: this.options.failRate,
        protocol: this.options.protocol,
      },
      (event) => this.onEvent(event),
    );
    this.gateways.set(client, gateway);
    if (this.options.protocol === 2) this.attachAgent(client, gateway);
    client.on('message', (message) => gateway.handle(message));
    client.on('invalidFrame', (invalid) => {
      this.stats.invalidFrames++;
      if (!this.fleetMode) this.print(client.gatewayId, describeInvalidFrame(invalid));
    });
    client.on('connectionError', (error) => this.note(client.gatewayId, `connection error: ${error.message}`));
    if (this.fleetMode) return;
    client.on('connect', () => this.print(client.gatewayId, 'connected'));
    client.on('offline', () => this.print(client.gatewayId, 'offline'));
    client.on('reconnect', () => this.print(client.gatewayId, 'reconnecting'));
  }

  private attachAgent(client: GatewayClient, gateway: SimulatedGateway): void {
    const stateDir = join(this.options.stateDir, client.gatewayId);
    const agent = new UpgradeAgent({
      gatewayId: client.gatewayId,
      stateDir,
      trustedKeys: this.trustedKeys,
      transport: client.agentTransport(),
      installer: simulatedInstaller(stateDir),
      onInstalled: (version) => gateway.installedByAgent(version),
      exitAfterBytes: this.options.exitAfterBytes ?? undefined,
      onExitAfterBytes: () => {
        this.note(client.gatewayId, `exiting after ${agent.stats.receivedBytes} bytes (--exit-after-bytes); start again with the same --state-dir to resume`);
        this.io.onExitAfterBytes?.(client.gatewayId);
      },
      dropRate: this.options.dropRate,
    });
    this.agents.set(client.gatewayId, agent);
    client.on('otherMessage', (topic, payload) => agent.handle(topic, payload));
    agent.on('progress', ({ state, bytes, reason }) => {
      if (!this.fleetMode) this.print(client.gatewayId, `v2 ${state}${bytes === null ? '' : ` ${bytes} bytes`}${reason ? `: ${reason}` : ''}`);
      else if (state === 'rejected' || state === 'failed') this.note(client.gatewayId, `v2 ${state}: ${reason ?? ''}`);
    });
    agent.on('problem', (error) => this.note(client.gatewayId, `upgrade agent: ${error.message}`));
  }

  private onEvent(event: SimEvent): void {
    this.stats.apply(event);
    if (!this.fleetMode) this.print(event.gatewayId, describeSimEvent(event));
  }

  /** A problem: every one for a single gateway; in a fleet each distinct message once. */
  private note(gatewayId: string, text: string): void {
    if (this.stopped) return;
    if (!this.fleetMode) {
      this.print(gatewayId, text);
      return;
    }
    if (this.reportedErrors.has(text)) return;
    this.reportedErrors.add(text);
    this.progress?.log(logLine(gatewayId, `${text} (reported once)`));
  }

  private print(gatewayId: string, text: string): void {
    this.io.stdout.write(`${logLine(gatewayId, text)}\n`);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
