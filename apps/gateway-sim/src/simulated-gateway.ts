import { ToCloudMessageType, compareVersions } from '@upgrade-manager/frame-codec';
import type { DownloadUpgradeMessage, GatewayMessage, StatusInput, UpgradeMessage } from '@upgrade-manager/gateway-client';
import { versionFromContent } from './image-version';

/** What the simulated gateway sends through; GatewayClient is one. */
export interface GatewayTransport {
  sendStatus(status: StatusInput): Promise<void>;
  requestLatestVersion(): Promise<void>;
  requestAvailableVersions(): Promise<void>;
  requestUpgrade(version: string): Promise<void>;
}

export interface SimulatedGatewayOptions {
  gatewayId: string;
  companyId: string;
  /** The version it runs at start (0.5 in the field). */
  version: string;
  /** Period of the two requests (60 s in the field). */
  intervalMs: number;
  /** Time an installation takes before the Status is sent. */
  upgradeDelayMs: number;
  /** Share of installations (0..1) that fail and report the old version. */
  failRate: number;
  /** 2: the Status says so (`"protocol": 2`) and installs come from the protocol-v2 agent. */
  protocol?: 1 | 2;
  random?: () => number;
  now?: () => number;
}

export type SimEvent =
  | { kind: 'sent'; gatewayId: string; type: ToCloudMessageType; detail: string }
  | { kind: 'sendFailed'; gatewayId: string; type: ToCloudMessageType; error: string }
  | { kind: 'received'; gatewayId: string; message: GatewayMessage }
  | { kind: 'downloaded'; gatewayId: string; version: string | null; size: number }
  | { kind: 'installing'; gatewayId: string; version: string; delayMs: number }
  | { kind: 'upgraded'; gatewayId: string; from: string; to: string }
  | { kind: 'upgradeFailed'; gatewayId: string; attempted: string; reported: string };

export interface SimulatedGatewayState {
  version: string;
  lastUpgradeAt: number;
  latestVersion: string | null;
  availableVersions: string[];
  /** Versions whose content came as Download Upgrade ("stored to install later"). */
  downloadedVersions: string[];
}

/**
 * The behaviour of a field gateway (SPEC §1, §3), independent of MQTT: start-up messages, the
 * periodic requests, Request Upgrade for each newer latest version, installing on Upgrade.
 * Content is never kept: only its size and CRC, to recognise an Upgrade with downloaded content.
 */
export class SimulatedGateway {
  private version: string;
  private lastUpgradeAt: number;
  private latestVersion: string | null = null;
  private availableVersions: string[] = [];
  private readonly downloads = new Map<string, string | null>();
  private readonly downloadedVersions = new Set<string>();
  private readonly requestedAt = new Map<string, number>();
  private installs: Promise<void> = Promise.resolve();
  private interval: NodeJS.Timeout | undefined;
  private readonly pendingDelays = new Map<NodeJS.Timeout, () => void>();
  private stopped = false;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(
    private readonly transport: GatewayTransport,
    private readonly options: SimulatedGatewayOptions,
    private readonly onEvent: (event: SimEvent) => void = () => undefined,
  ) {
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.version = options.version;
    this.lastUpgradeAt = this.now();
  }

  get gatewayId(): string {
    return this.options.gatewayId;
  }

  get state(): SimulatedGatewayState {
    return {
      version: this.version,
      lastUpgradeAt: this.lastUpgradeAt,
      latestVersion: this.latestVersion,
      availableVersions: [...this.availableVersions],
      downloadedVersions: [...this.downloadedVersions],
    };
  }

  /** Sends Status and both requests, then repeats the requests every interval. */
  async start(): Promise<void> {
    if (this.interval || this.stopped) return;
    this.interval = setInterval(() => void this.sendRequests(), this.options.intervalMs);
    await Promise.all([this.sendStatus(), this.sendRequests()]);
  }

  /** Stops the periodic requests and pending installations; messages are ignored from now on. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.interval);
    // Ends the waits too, so that idle() settles.
    for (const [timer, resolve] of this.pendingDelays) {
      clearTimeout(timer);
      resolve();
    }
    this.pendingDelays.clear();
  }

  /** Resolves when every installation received so far has reported its Status. */
  idle(): Promise<void> {
    return this.installs;
  }

  handle(message: GatewayMessage): void {
    if (this.stopped) return;
    this.onEvent({ kind: 'received', gatewayId: this.gatewayId, message });
    switch (message.type) {
      case 'LATEST_VERSION':
        this.onLatestVersion(message.version);
        break;
      case 'AVAILABLE_VERSIONS':
        this.availableVersions = message.versions;
        break;
      case 'DOWNLOAD_UPGRADE':
        this.onDownload(message);
        break;
      case 'UPGRADE':
        this.onUpgrade(message);
        break;
    }
  }

  private onLatestVersion(version: string): void {
    this.latestVersion = version;
    // A protocol-v2 gateway waits for its deployment's Offer instead of fetching whole images.
    if (this.options.protocol === 2) return;
    if (compareVersions(version, this.version) <= 0 || this.downloadedVersions.has(version)) return;
    const requested = this.requestedAt.get(version);
    // Asked already and no content yet: ask again only once an interval has passed.
    if (requested !== undefined && this.now() - requested < this.options.intervalMs) return;
    this.requestedAt.set(version, this.now());
    void this.send(ToCloudMessageType.RequestUpgrade, version, () => this.transport.requestUpgrade(version));
  }

  private onDownload(message: DownloadUpgradeMessage): void {
    // Oldest outstanding request first: the cloud answers requests in order.
    const [oldestRequested] = this.requestedAt.keys();
    const version = versionFromContent(message.content) ?? oldestRequested ?? this.latestVersion;
    if (version !== null) {
      this.requestedAt.delete(version);
      this.downloadedVersions.add(version);
    }
    this.downloads.set(contentKey(message), version);
    this.onEvent({ kind: 'downloaded', gatewayId: this.gatewayId, version, size: message.content.byteLength });
  }

  private onUpgrade(message: UpgradeMessage): void {
    const target = versionFromContent(message.content) ?? this.downloads.get(contentKey(message)) ?? this.latestVersion ?? this.version;
    this.installs = this.installs.then(() => this.install(target));
  }

  private async install(target: string): Promise<void> {
    if (this.stopped) return;
    this.onEvent({ kind: 'installing', gatewayId: this.gatewayId, version: target, delayMs: this.options.upgradeDelayMs });
    if (this.options.upgradeDelayMs > 0) await this.delay(this.options.upgradeDelayMs);
    if (this.stopped) return;
    const from = this.version;
    if (this.random() < this.options.failRate) {
      this.onEvent({ kind: 'upgradeFailed', gatewayId: this.gatewayId, attempted: target, reported: from });
    } else {
      this.version = target;
      this.lastUpgradeAt = this.now();
      this.onEvent({ kind: 'upgraded', gatewayId: this.gatewayId, from, to: target });
    }
    await this.sendStatus();
  }

  /** Before start(): the gateway runs `version` (installed by an earlier run's agent). */
  runVersion(version: string): void {
    this.version = version;
  }

  /** The protocol-v2 agent installed `version` (verified and health-checked): report it. */
  async installedByAgent(version: string): Promise<void> {
    if (this.stopped) return;
    const from = this.version;
    this.version = version;
    this.lastUpgradeAt = this.now();
    this.onEvent({ kind: 'upgraded', gatewayId: this.gatewayId, from, to: version });
    await this.sendStatus();
  }

  private sendStatus(): Promise<void> {
    const protocol = this.options.protocol === 2 ? { protocol: 2 } : {};
    const status = { companyId: this.options.companyId, version: this.version, timestamp: this.lastUpgradeAt, ...protocol };
    return this.send(ToCloudMessageType.Status, JSON.stringify(status), () => this.transport.sendStatus(status));
  }

  private async sendRequests(): Promise<void> {
    await Promise.all([
      this.send(ToCloudMessageType.RequestLatestVersion, '', () => this.transport.requestLatestVersion()),
      this.send(ToCloudMessageType.RequestAvailableVersions, '', () => this.transport.requestAvailableVersions()),
    ]);
  }

  private async send(type: ToCloudMessageType, detail: string, publish: () => Promise<void>): Promise<void> {
    try {
      await publish();
      this.onEvent({ kind: 'sent', gatewayId: this.gatewayId, type, detail });
    } catch (error) {
      if (this.stopped) return;
      this.onEvent({ kind: 'sendFailed', gatewayId: this.gatewayId, type, error: error instanceof Error ? error.message : String(error) });
    }
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingDelays.delete(timer);
        resolve();
      }, ms);
      this.pendingDelays.set(timer, resolve);
    });
  }
}

function contentKey(message: DownloadUpgradeMessage | UpgradeMessage): string {
  return `${message.content.byteLength}:${message.crc32}`;
}
