import { UpgradeAgent, type GatewayClient } from '@upgrade-manager/gateway-client';
import { parseTrustedKeys } from '@upgrade-manager/protocol-v2';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { e2eGatewayClient } from './simulated-gateway';
import type { E2eState } from './state';

export interface V2GatewayOptions {
  gatewayId: string;
  companyId: string;
  /** Where its agent keeps the download and the installed image. */
  stateDir: string;
  /** Trusted-keys line; a gateway given another key than the server's rejects the Offer. */
  trustedKeyLine: string;
}

// While held back, one chunk reaches the agent this often: slow enough to watch the bytes grow.
const TRICKLE_MS = 700;

/**
 * A protocol-v2 gateway (the agent a device runs, on a real MQTT connection) whose chunks and
 * installation the test lets through, so the page can be seen mid-download and mid-install.
 */
export class V2Gateway {
  readonly client: GatewayClient;
  readonly agent: UpgradeAgent;
  private readonly held: Array<[string, Buffer]> = [];
  private holding = true;
  private readonly trickle: NodeJS.Timeout;
  private releaseInstall!: () => void;
  private readonly installAllowed = new Promise<void>((resolve) => (this.releaseInstall = resolve));

  constructor(state: E2eState, options: V2GatewayOptions) {
    this.client = e2eGatewayClient(state, options.gatewayId, options.companyId);
    this.agent = new UpgradeAgent({
      gatewayId: options.gatewayId,
      stateDir: options.stateDir,
      trustedKeys: parseTrustedKeys(options.trustedKeyLine),
      transport: this.client.agentTransport(),
      installer: {
        install: async (path) => {
          await this.installAllowed;
          await rename(path, join(options.stateDir, 'installed.bin'));
        },
        healthCheck: async () => undefined,
        rollback: async () => undefined,
      },
      onInstalled: (version) => this.client.sendStatus({ version, timestamp: Date.now(), protocol: 2 }),
    });
    this.client.on('otherMessage', (topic, bytes) => {
      if (this.holding && topic.startsWith('TOGATEWAY/UPGRADE_CHUNK')) this.held.push([topic, bytes]);
      else this.agent.handle(topic, bytes);
    });
    this.trickle = setInterval(() => {
      const next = this.held.shift();
      if (next) this.agent.handle(...next);
    }, TRICKLE_MS);
  }

  get gatewayId(): string {
    return this.client.gatewayId;
  }

  async start(): Promise<void> {
    await this.client.connect();
    await this.agent.start();
    await this.client.sendStatus({ version: '0.5', timestamp: null, protocol: 2 });
  }

  /** Every chunk from now on (and those held back) reaches the agent at once. */
  letChunksThrough(): void {
    this.holding = false;
    for (const [topic, bytes] of this.held.splice(0)) this.agent.handle(topic, bytes);
  }

  letInstall(): void {
    this.releaseInstall();
  }

  async stop(): Promise<void> {
    clearInterval(this.trickle);
    this.releaseInstall();
    await this.agent.stop();
    await this.client.close();
  }
}
