import { GatewayClient } from '@upgrade-manager/gateway-client';
import type { E2eState } from './state';

export interface SimulatedGatewayOptions {
  gatewayId: string;
  companyId: string;
  /** The version an Upgrade's content stands for (the test knows what it uploaded). */
  versionOf: (content: Buffer) => string;
  /** How long "installing" takes, so the web app can show the pending state first. */
  installMs: number;
}

/** A gateway's connection to the e2e broker, with the shared gateway account. */
export function e2eGatewayClient(state: E2eState, gatewayId: string, companyId: string): GatewayClient {
  return new GatewayClient({
    url: state.mqttUrl,
    gatewayId,
    companyId,
    username: state.gatewayUsername,
    password: state.gatewayPassword,
    // Throw-away ids: the broker must not keep their sessions after the test.
    clean: true,
    connectTimeoutMs: 15_000,
  });
}

/** A field gateway in miniature: reports 0.5 at start, installs every Upgrade and reports the new version. */
export class SimulatedGateway {
  readonly client: GatewayClient;
  version = '0.5';
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    state: E2eState,
    private readonly options: SimulatedGatewayOptions,
  ) {
    this.client = e2eGatewayClient(state, options.gatewayId, options.companyId);
    this.client.onUpgrade((content) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.version = options.versionOf(content);
        void this.client.sendStatus({ version: this.version, timestamp: Date.now() }).catch(() => undefined);
      }, options.installMs);
      this.timers.add(timer);
    });
  }

  get gatewayId(): string {
    return this.options.gatewayId;
  }

  async start(): Promise<void> {
    await this.client.connect();
    await this.client.sendStatus({ version: this.version, timestamp: null });
    await this.client.requestLatestVersion();
    await this.client.requestAvailableVersions();
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.client.close();
  }
}
