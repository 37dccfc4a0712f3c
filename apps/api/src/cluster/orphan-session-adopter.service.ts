import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { connect, connectAsync, type MqttClient } from 'mqtt';
import type { Counter } from 'prom-client';
import { AppConfigService } from '../config/app-config.service';
import { MetricsService } from '../metrics/metrics.service';
import { deferAcks } from '../mqtt/deferred-acks';
import { buildMqttClientOptions, mqttEnvFrom } from '../mqtt/mqtt-client-options';
import { RawFrameMqttServer } from '../mqtt/raw-frame-mqtt.server';
import { ApiInstances } from './api-instances.service';
import { clusterTopicPrefix } from './cluster-topics';
import { LeaseService } from './lease.service';

export const ORPHAN_SESSIONS_LEASE = 'mqtt-orphan-sessions';
// A drained session: no message for this long and none being stored.
const QUIET_MS = 1_000;
const DRAIN_MAX_MS = 120_000;

/**
 * Mosquitto 2.0 hands a shared subscription's messages round-robin to every member session,
 * offline ones included (tested on 2.0.11: with two members, one killed, every second Status
 * was queued for the dead one's persistent session, and the messages it had received without
 * acknowledging them stayed there too; both came out when its client id connected again). So a
 * dead API process that does not come back would keep part of the fleet's messages forever.
 *
 * The holder of the lease `mqtt-orphan-sessions` adopts the broker session of every API instance
 * gone for LEASE_TTL_S (ApiInstances): it connects under that client id, unsubscribes at once
 * (the session then leaves the group; what was queued for it is still delivered), handles what
 * comes out like any gateway message, acknowledging each once stored, and ends the session.
 */
@Injectable()
export class OrphanSessionAdopter implements OnApplicationBootstrap {
  private readonly logger = new Logger(OrphanSessionAdopter.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private readonly adopted: Counter;

  constructor(
    private readonly subscriber: RawFrameMqttServer,
    private readonly instances: ApiInstances,
    private readonly leases: LeaseService,
    private readonly config: AppConfigService,
    metrics: MetricsService,
  ) {
    this.adopted = metrics.counter({ name: 'um_mqtt_orphan_messages_total', help: 'Gateway messages taken from the broker session of a dead API process' });
  }

  onApplicationBootstrap(): void {
    this.leases.run(ORPHAN_SESSIONS_LEASE, { start: () => this.start(), stop: () => this.stop() });
  }

  private start(): void {
    this.stopped = false;
    const intervalMs = (this.config.get('LEASE_TTL_S') * 1000) / 3;
    this.timer = setInterval(() => {
      this.running ??= this.round()
        .catch((error: Error) => this.logger.warn(`Adopting orphaned MQTT sessions failed, retried: ${error.message}`))
        .finally(() => (this.running = null));
    }, intervalMs);
  }

  private async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async round(): Promise<void> {
    const { goneInstances } = await this.instances.census();
    for (const instanceId of goneInstances) {
      if (this.stopped || instanceId === this.instances.instanceId) continue;
      if (await this.adopt(instanceId)) await this.instances.forget(instanceId);
    }
  }

  /** Drains and ends the session of a gone instance; false when something in it could not be stored (tried again). */
  private async adopt(instanceId: string): Promise<boolean> {
    const group = this.config.get('MQTT_CLIENT_ID');
    const clientId = `${group}-${instanceId}`;
    const env = mqttEnvFrom(this.config);
    const { url, ...options } = buildMqttClientOptions(env, clientId, true);
    // Acknowledgements are deferred before connecting: queued messages arrive right after CONNACK.
    const client = connect(url, { ...options, reconnectPeriod: 0, manualConnect: true });
    let inFlight = 0;
    let count = 0;
    let allStored = true;
    let lastMessageAt = Date.now();
    const internal = `${clusterTopicPrefix(group)}/`;
    deferAcks(client, (packet) => {
      inFlight++;
      count++;
      lastMessageAt = Date.now();
      // This process hears the cluster bus itself: the dead one's copy is only acknowledged.
      const outcome = packet.topic.startsWith(internal)
        ? Promise.resolve(true)
        : this.subscriber.dispatchAdopted(packet.topic, packet.payload as Buffer, packet);
      return outcome.then((stored) => {
        inFlight--;
        allStored &&= stored;
        return stored;
      });
    });
    client.connect();
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.unsubscribeAsync([...this.subscriber.sharedSubscriptions(), `${internal}#`]);
    const startedAt = Date.now();
    while ((inFlight > 0 || Date.now() - lastMessageAt < QUIET_MS) && Date.now() - startedAt < DRAIN_MAX_MS) await sleep(100);
    const drained = inFlight === 0 && allStored;
    await client.endAsync();
    if (count > 0) {
      this.adopted.inc(count);
      this.logger.warn(`Took ${count} message(s) from the MQTT session of API instance ${instanceId}, gone`);
    }
    if (!drained) return false;
    // A clean connection under its client id makes the broker forget the session.
    await endSession(url, { ...buildMqttClientOptions(env, clientId, false), reconnectPeriod: 0 });
    return true;
  }
}

async function endSession(url: string, options: Parameters<typeof connectAsync>[1]): Promise<void> {
  const client: MqttClient = await connectAsync(url, options);
  await client.endAsync();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
