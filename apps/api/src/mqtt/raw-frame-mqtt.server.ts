import { Logger } from '@nestjs/common';
import { MqttContext, ServerMqtt, type MqttOptions } from '@nestjs/microservices';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { deferAcks } from './deferred-acks';

type MqttPacket = ConstructorParameters<typeof MqttContext>[0][1];

// Messages whose handler could not store them: not acknowledged, so the broker delivers them again.
const unstored = new WeakSet<object>();

/** Called by a handler whose message is not stored (e.g. shutting down before its write): no PUBACK. */
export function withholdAck(context: MqttContext): void {
  const packet = context.getPacket() as object | undefined;
  if (packet) unstored.add(packet);
}

export type RawFrameMqttOptions = NonNullable<MqttOptions['options']> & {
  /** Subscribes every pattern as `$share/<group>/<pattern>`: each message goes to one member of the group. */
  sharedGroup?: string;
  /** Topics under this prefix (`<prefix>/#`) are heard by every process and go to the internal handler, not to Nest. */
  internalTopicPrefix?: string;
};

/** Handles one internal message; resolves false when it could not (it is delivered again). */
export type InternalMessageHandler = (topic: string, payload: Buffer) => Promise<boolean>;

/** Handles one message of a direct route; resolves false when it is not stored (no PUBACK: delivered again). */
export type DirectMessageHandler = (topic: string, payload: Buffer) => Promise<boolean>;

/**
 * MQTT transport that hands handlers the payload bytes untouched. Nest's own ServerMqtt
 * calls `toString()` and JSON.parse on every payload, which corrupts binary frames; gateway
 * frames carry no Nest envelope, so every message is dispatched as an event on its topic.
 *
 * A QoS 1 message is acknowledged only when its handler has finished (for a Status: written to
 * the database), so a message an API process received but had not stored when it died stays in
 * its broker session and is delivered again. Handlers must therefore be idempotent; they report
 * a message they could not store with `withholdAck` (an exception would go to Nest's filters).
 */
export class RawFrameMqttServer extends ServerMqtt {
  private readonly ackLogger = new Logger(RawFrameMqttServer.name);
  // The message being emitted and its outcome: mqtt.js emits 'message' and, in the same synchronous
  // step, hands that packet to deferAcks, which takes its outcome from here (no map per message).
  private emittedPacket: object | null = null;
  private emittedOutcome: Promise<boolean> | null = null;
  private internalHandler: InternalMessageHandler | null = null;
  private flushAcks: (() => void) | null = null;
  // Direct routes by their topic prefix (the pattern without its last level's `+`).
  private readonly directRoutes = new Map<string, DirectMessageHandler>();

  constructor(private readonly rawOptions: RawFrameMqttOptions) {
    super(rawOptions);
  }

  override createMqttClient(): MqttClient {
    const client = super.createMqttClient();
    // The 'message' event (handleMessage below) runs first and registers the outcome.
    this.flushAcks = deferAcks(client, (packet) => this.takeOutcome(packet));
    return client;
  }

  private takeOutcome(packet: object): Promise<boolean> | undefined {
    if (packet !== this.emittedPacket) return undefined;
    const outcome = this.emittedOutcome ?? undefined;
    this.emittedPacket = null;
    this.emittedOutcome = null;
    return outcome;
  }

  // The last batch's PUBACKs wait for the next turn of the event loop: written before DISCONNECT,
  // or the broker delivers those stored messages again.
  override close(): void {
    this.flushAcks?.();
    super.close();
  }

  /** Set before the server listens (e.g. in onModuleInit). */
  setInternalHandler(handler: InternalMessageHandler): void {
    this.internalHandler = handler;
  }

  /**
   * Subscribes `pattern` (`<prefix>/+`, through the shared group like every pattern) and hands its
   * messages to `handler` as they arrive, without Nest's per-message context, handler lookup and
   * promise chain: for the gateways' own traffic, thousands of messages a second.
   */
  addDirectRoute(pattern: string, handler: DirectMessageHandler): void {
    if (!pattern.endsWith('/+')) throw new Error(`A direct route ends in /+: ${pattern}`);
    this.directRoutes.set(pattern.slice(0, -1), handler);
    // Also a Nest handler, so that it is subscribed (bindEvents) and listed like any other.
    this.addHandler(
      pattern,
      async (data: Buffer, context: MqttContext) => {
        if (!(await handler(context.getTopic(), data))) withholdAck(context);
      },
      true,
    );
  }

  override bindEvents(mqttClient: MqttClient): void {
    const { sharedGroup: group, internalTopicPrefix } = this.rawOptions;
    const subscribeOptions = this.rawOptions.subscribeOptions ?? { qos: 1 };
    if (internalTopicPrefix !== undefined) mqttClient.subscribe(`${internalTopicPrefix}/#`, subscribeOptions);
    if (group === undefined) return super.bindEvents(mqttClient);
    // Straight to dispatch: Nest's message handler adds two promises per message.
    mqttClient.on('message', (channel: string, buffer: Buffer, packet: IPublishPacket) => this.receive(channel, buffer, packet));
    // Handlers stay registered under the plain pattern, which matches the topics that arrive.
    for (const pattern of this.messageHandlers.keys()) mqttClient.subscribe(`$share/${group}/${pattern}`, subscribeOptions);
  }

  // Nest's message listener (no shared group) calls this; the outcome goes to deferAcks, not to Nest.
  override async handleMessage(channel: string, buffer: Buffer, _pub: MqttClient, originalPacket?: Record<string, unknown>): Promise<void> {
    this.receive(channel, buffer, originalPacket);
  }

  private receive(channel: string, buffer: Buffer, originalPacket?: object): void {
    const handling = this.dispatch(channel, buffer, originalPacket);
    if (!originalPacket) return;
    this.emittedPacket = originalPacket;
    this.emittedOutcome = handling;
  }

  private dispatch(channel: string, buffer: Buffer, originalPacket?: object): Promise<boolean> {
    const prefix = this.rawOptions.internalTopicPrefix;
    if (prefix !== undefined && channel.startsWith(`${prefix}/`)) {
      if (!this.internalHandler) return Promise.resolve(false);
      return this.internalHandler(channel, buffer).catch((error: unknown) => {
        this.ackLogger.error(`Internal message on ${channel} failed: ${(error as Error).message}`);
        return true;
      });
    }
    const direct = this.directRoutes.get(channel.slice(0, channel.lastIndexOf('/') + 1));
    if (direct) return direct(channel, buffer).catch((error: unknown) => this.failed(channel, error));
    const context = new MqttContext([channel, originalPacket as MqttPacket]);
    // Nest resolves this when the handler's promise has settled.
    return this.handleEvent(channel, { pattern: channel, data: buffer }, context).then(
      () => !(originalPacket && unstored.has(originalPacket)),
      (error: unknown) => this.failed(channel, error),
    );
  }

  // A handler that throws has not lost a message it could store: acknowledged, like Nest's own.
  private failed(channel: string, error: unknown): boolean {
    this.ackLogger.error(`Handler of ${channel} failed: ${(error as Error).message}`);
    return true;
  }

  /** A message taken from a dead process's session (OrphanSessionAdopter): handled like one of ours; false when not stored. */
  dispatchAdopted(topic: string, payload: Buffer, packet: object): Promise<boolean> {
    return this.dispatch(topic, payload, packet);
  }

  /** What each process's session subscribes through the shared group. */
  sharedSubscriptions(): string[] {
    const group = this.rawOptions.sharedGroup;
    return group === undefined ? [] : [...this.messageHandlers.keys()].map((pattern) => `$share/${group}/${pattern}`);
  }

  // Nest tries JSON.parse on every message's topic first; a gateway topic is never JSON, and the
  // exception thrown per message cost about a tenth of the API's CPU in the status ingest.
  protected override getRouteFromPattern(pattern: string): string {
    return /^[{["]/.test(pattern) ? super.getRouteFromPattern(pattern) : this.normalizePattern(pattern);
  }

  /** The live connection, for health checks; undefined before listen(). */
  get client(): MqttClient | undefined {
    return this.mqttClient as MqttClient | undefined;
  }
}
