import { EventEmitter } from 'node:events';
import { GatewayClient, type MqttConnect } from './gateway-client';
import { DEFAULT_RECONNECT_PERIOD_MS, type GatewayClientOptions } from './gateway-client.options';
import { forEachConcurrently } from './concurrency';

export interface GatewayFleetOptions {
  /** One client per id; see `fleetGatewayIds`. */
  gatewayIds: readonly string[];
  /** Options shared by every client; share one `ca` Buffer rather than one per client. */
  client: Omit<GatewayClientOptions, 'gatewayId' | 'clientId'>;
  /** Connections set up at once (default 100), so a large fleet does not flood the broker. */
  concurrency?: number;
  /** For tests: the source of the reconnection jitter. */
  random?: () => number;
  /** For tests: replaces mqtt.js's connect. */
  connectFn?: MqttConnect;
}

export interface GatewayFleetEvents {
  /** Every (re)connection of a client. */
  clientConnect: [GatewayClient];
  clientOffline: [GatewayClient];
  /** The first connection of a client failed; it is closed and stays so. */
  clientFailed: [GatewayClient, unknown];
}

export interface FleetStartResult {
  connected: number;
  failed: { gatewayId: string; error: unknown }[];
}

export const DEFAULT_FLEET_CONCURRENCY = 100;

/** `<prefix>-1` .. `<prefix>-<count>`. */
export function fleetGatewayIds(prefix: string, count: number): string[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  return Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
}

/**
 * Many gateways in one process: one GatewayClient (and one socket) each, connected with bounded
 * concurrency. Attach listeners to `clients` before `start()` so messages queued in persistent
 * sessions are not missed.
 */
export class GatewayFleet extends EventEmitter<GatewayFleetEvents> {
  readonly clients: readonly GatewayClient[];
  private readonly byId = new Map<string, GatewayClient>();
  private readonly online = new Set<GatewayClient>();
  private readonly concurrency: number;
  private closed = false;

  constructor(options: GatewayFleetOptions) {
    super();
    this.concurrency = options.concurrency ?? DEFAULT_FLEET_CONCURRENCY;
    const random = options.random ?? Math.random;
    const reconnectPeriod = options.client.reconnectPeriod ?? DEFAULT_RECONNECT_PERIOD_MS;
    this.clients = options.gatewayIds.map((gatewayId) => {
      if (this.byId.has(gatewayId)) throw new Error(`duplicate gatewayId ${gatewayId}`);
      // Jitter, so that after a broker restart the fleet does not reconnect in one burst.
      const jittered = reconnectPeriod === 0 ? 0 : Math.round(reconnectPeriod * (1 + random() / 2));
      const client = new GatewayClient({ ...options.client, gatewayId, reconnectPeriod: jittered }, options.connectFn);
      this.byId.set(gatewayId, client);
      client.on('connect', () => {
        this.online.add(client);
        this.emit('clientConnect', client);
      });
      client.on('offline', () => this.markOffline(client));
      client.on('close', () => this.markOffline(client));
      return client;
    });
  }

  get size(): number {
    return this.clients.length;
  }

  get connectedCount(): number {
    return this.online.size;
  }

  get(gatewayId: string): GatewayClient | undefined {
    return this.byId.get(gatewayId);
  }

  /** Connects every client, `concurrency` at a time. Resolves when each has connected or failed. */
  async start(): Promise<FleetStartResult> {
    const failures = await forEachConcurrently(this.clients, this.concurrency, async (client) => {
      if (this.closed) return;
      try {
        await client.connect();
      } catch (error) {
        if (!this.closed) this.emit('clientFailed', client, error);
        throw error;
      }
    });
    return {
      connected: this.connectedCount,
      failed: failures.map(({ item, error }) => ({ gatewayId: item.gatewayId, error })),
    };
  }

  /** Disconnects every client (also stops a `start()` in progress). */
  async close(): Promise<void> {
    this.closed = true;
    await forEachConcurrently(this.clients, this.concurrency, (client) => client.close());
  }

  private markOffline(client: GatewayClient): void {
    if (this.online.delete(client)) this.emit('clientOffline', client);
  }
}
