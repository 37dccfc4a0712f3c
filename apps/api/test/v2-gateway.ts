import { UpgradeAgent, type GatewayClient, type Installer, type UpgradeAgentOptions } from '@upgrade-manager/gateway-client';
import type { TrustedKeys } from '@upgrade-manager/protocol-v2';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { connectGateway } from './protocol-helpers';

/** A v2 gateway: a real MQTT client and the agent a device runs, installing into its state folder. */
export interface V2Gateway {
  client: GatewayClient;
  agent: UpgradeAgent;
  stateDir: string;
  installed: string;
  /** Chunk messages received: on the shared topic, or on its own (asked for). */
  received: { shared: number; requested: number };
}

export interface V2GatewayOptions {
  gatewayId: string;
  companyId: string;
  /** The state folder is `<dir>/<gatewayId>`. */
  dir: string;
  trustedKeys: TrustedKeys;
  agent?: Partial<UpgradeAgentOptions>;
  /** Between the broker and the agent (a test client changing bytes in flight). */
  tamper?: (topic: string, bytes: Buffer) => Buffer;
}

function fileInstaller(target: string): Installer {
  return {
    install: (path) => rename(path, target),
    healthCheck: async () => undefined,
    rollback: async () => undefined,
  };
}

/** Connects a gateway and starts its agent; it reports Status with `protocol: 2` once it installed. */
export async function startV2Gateway({ gatewayId, companyId, dir, trustedKeys, agent: extra, tamper }: V2GatewayOptions): Promise<V2Gateway> {
  const client = await connectGateway(gatewayId, companyId);
  const stateDir = join(dir, gatewayId);
  const installed = join(stateDir, 'installed.bin');
  const agent = new UpgradeAgent({
    gatewayId,
    stateDir,
    trustedKeys,
    transport: client.agentTransport(),
    installer: fileInstaller(installed),
    onInstalled: (version) => client.sendStatus({ version, timestamp: Date.now(), protocol: 2 }),
    // Many agents share the test process and its disk: fewer syncs than a device would do.
    saveIntervalMs: 5_000,
    ...extra,
  });
  const received = { shared: 0, requested: 0 };
  client.on('otherMessage', (topic, bytes) => {
    if (topic.startsWith('TOGATEWAY/UPGRADE_CHUNK_SHARED/')) received.shared++;
    else if (topic.startsWith('TOGATEWAY/UPGRADE_CHUNK/')) received.requested++;
    agent.handle(topic, tamper ? tamper(topic, bytes) : bytes);
  });
  await agent.start();
  return { client, agent, stateDir, installed, received };
}
