import { EventEmitter } from 'node:events';
import { connect as mqttConnect, ErrorWithReasonCode, type IClientOptions, type MqttClient } from 'mqtt';
import {
  EMPTY_REQUEST_PAYLOAD,
  TO_GATEWAY_MESSAGE_TYPES,
  ToCloudMessageType,
  ToGatewayMessageType,
  encodeFrame,
  statusPayload,
  toCloudTopic,
  toGatewayTopic,
  versionRequestPayload,
} from '@upgrade-manager/frame-codec';
import {
  decodeGatewayMessage,
  type AvailableVersionsMessage,
  type DownloadUpgradeMessage,
  type GatewayMessage,
  type GatewayMessageOf,
  type InvalidFrame,
  type LatestVersionMessage,
  type UpgradeMessage,
} from './gateway-message';
import type { AgentTransport } from './upgrade-agent';
import { DEFAULT_CONNECT_TIMEOUT_MS, toMqttOptions, type GatewayClientOptions } from './gateway-client.options';

export interface GatewayClientEvents {
  /** Every well-formed cloud → gateway message, before its type-specific event. */
  message: [GatewayMessage];
  latestVersion: [LatestVersionMessage];
  availableVersions: [AvailableVersionsMessage];
  upgrade: [UpgradeMessage];
  downloadUpgrade: [DownloadUpgradeMessage];
  /** A message on a topic protocol v1 does not know (protocol v2: feed it to an UpgradeAgent). */
  otherMessage: [topic: string, payload: Buffer];
  /** A frame that failed to decode; it is dropped, nothing throws. */
  invalidFrame: [InvalidFrame];
  /** Every (re)connection, after the subscriptions of the first one are in place. */
  connect: [];
  reconnect: [];
  offline: [];
  /** Transport errors (refused connection, socket errors); the client keeps reconnecting. */
  connectionError: [Error];
  /** After `close()`. */
  close: [];
}

export interface StatusInput {
  /** Defaults to the client's companyId option. */
  companyId?: string;
  version: string;
  /** Last upgrade, ms since the epoch; omitted from the payload when null or undefined. */
  timestamp?: number | null;
  /** 2 for a gateway that speaks protocol v2; omitted for v1. */
  protocol?: number;
}

export interface PublishRawOptions {
  qos?: 0 | 1 | 2;
  retain?: boolean;
}

/** What a test or the simulator injects instead of mqtt.js's `connect`. */
export type MqttConnect = (url: string, options: IClientOptions) => MqttClient;

export class GatewayTimeoutError extends Error {
  override readonly name = 'GatewayTimeoutError';
}

const QOS = 1;
const DEFAULT_WAIT_MS = 10_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

/** The 8 topics a gateway listens on: each cloud → gateway type, broadcast and addressed to it. */
export function gatewaySubscriptionTopics(gatewayId: string): string[] {
  return TO_GATEWAY_MESSAGE_TYPES.flatMap((type) => [toGatewayTopic(type), toGatewayTopic(type, gatewayId)]);
}

/**
 * One gateway speaking protocol version 1 over MQTT: publishes framed TOCLOUD messages with QoS 1
 * and decodes the TOGATEWAY messages it receives into typed events.
 */
export class GatewayClient extends EventEmitter<GatewayClientEvents> {
  readonly gatewayId: string;
  private mqtt: MqttClient | undefined;
  private closing = false;

  constructor(
    readonly options: GatewayClientOptions,
    private readonly connectFn: MqttConnect = mqttConnect,
  ) {
    super();
    this.gatewayId = options.gatewayId;
    // Fails fast on an id that would change the topics' meaning.
    toCloudTopic(ToCloudMessageType.Status, options.gatewayId);
  }

  get connected(): boolean {
    return this.mqtt?.connected ?? false;
  }

  /**
   * Connects and subscribes (QoS 1) to the 4 message types on the broadcast and own topics.
   * Keeps retrying network errors until `connectTimeoutMs`; rejects at once when the broker
   * refuses the connection (bad credentials, not authorised) or a subscription. On rejection the
   * client is closed.
   */
  async connect(): Promise<void> {
    if (this.mqtt) throw new Error(`gateway ${this.gatewayId}: connect() called twice`);
    this.closing = false;
    const client = this.connectFn(this.options.url, toMqttOptions(this.options));
    this.mqtt = client;
    client.on('message', (topic, payload) => this.dispatch(topic, payload));
    client.on('reconnect', () => this.emit('reconnect'));
    client.on('offline', () => this.emit('offline'));
    client.on('error', (error) => this.emit('connectionError', error));
    try {
      await this.firstConnection(client);
      await client.subscribeAsync(gatewaySubscriptionTopics(this.gatewayId), { qos: QOS });
    } catch (error) {
      this.mqtt = undefined;
      await client.endAsync(true).catch(() => undefined);
      throw error;
    }
    this.emit('connect');
    client.on('connect', () => this.emit('connect'));
  }

  /** Disconnects cleanly (waiting at most `timeoutMs` for messages in flight), then emits `close`. */
  async close(timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS): Promise<void> {
    const client = this.mqtt;
    this.mqtt = undefined;
    this.closing = true;
    if (client) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      const outcome = await Promise.race([client.endAsync(false).catch(() => undefined), timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') await client.endAsync(true).catch(() => undefined);
    }
    this.emit('close');
  }

  /**
   * Status: `{companyId, version, timestamp}`, its frame dated now or `frameTimestampSeconds`.
   * Resolves when the broker acknowledged it.
   */
  async sendStatus(status: StatusInput, frameTimestampSeconds?: number): Promise<void> {
    const companyId = status.companyId ?? this.options.companyId;
    if (companyId === undefined) throw new Error(`gateway ${this.gatewayId}: sendStatus needs a companyId`);
    await this.publishFrame(
      ToCloudMessageType.Status,
      statusPayload({ companyId, version: status.version, timestamp: status.timestamp, protocol: status.protocol }),
      frameTimestampSeconds,
    );
  }

  async requestLatestVersion(): Promise<void> {
    await this.publishFrame(ToCloudMessageType.RequestLatestVersion, this.requestPayload());
  }

  async requestAvailableVersions(): Promise<void> {
    await this.publishFrame(ToCloudMessageType.RequestAvailableVersions, this.requestPayload());
  }

  async requestUpgrade(version: string): Promise<void> {
    await this.publishFrame(ToCloudMessageType.RequestUpgrade, versionRequestPayload(version));
  }

  /** Publishes bytes as they are, on any topic: for tests that send malformed frames. */
  async publishRaw(topic: string, bytes: Buffer | string, options: PublishRawOptions = {}): Promise<void> {
    await this.client().publishAsync(topic, bytes, { qos: options.qos ?? QOS, retain: options.retain ?? false });
  }

  /** Subscribes (QoS 1) to more topics, e.g. those of protocol v2. */
  async subscribeTopics(topics: string[]): Promise<void> {
    await this.client().subscribeAsync(topics, { qos: QOS });
  }

  async unsubscribeTopics(topics: string[]): Promise<void> {
    await this.client().unsubscribeAsync(topics);
  }

  /** The transport an UpgradeAgent sends and subscribes through. */
  agentTransport(): AgentTransport {
    return {
      publish: async (topic, payload, qos) => {
        await this.client().publishAsync(topic, payload, { qos });
      },
      subscribe: (topics) => this.subscribeTopics(topics),
      unsubscribe: (topics) => this.unsubscribeTopics(topics),
    };
  }

  onLatestVersion(listener: (version: string, message: LatestVersionMessage) => void): () => void {
    return this.subscribe('latestVersion', (message) => listener(message.version, message));
  }

  onAvailableVersions(listener: (versions: string[], message: AvailableVersionsMessage) => void): () => void {
    return this.subscribe('availableVersions', (message) => listener(message.versions, message));
  }

  onUpgrade(listener: (content: Buffer, message: UpgradeMessage) => void): () => void {
    return this.subscribe('upgrade', (message) => listener(message.content, message));
  }

  onDownloadUpgrade(listener: (content: Buffer, message: DownloadUpgradeMessage) => void): () => void {
    return this.subscribe('downloadUpgrade', (message) => listener(message.content, message));
  }

  /**
   * The next message of `type` matching `predicate`, received after this call. Rejects with
   * GatewayTimeoutError after `timeoutMs`, or when the client is closed.
   */
  waitFor<T extends ToGatewayMessageType>(
    type: T,
    predicate: (message: GatewayMessageOf<T>) => boolean = () => true,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<GatewayMessageOf<T>> {
    const matches = (message: GatewayMessage): message is GatewayMessageOf<T> => message.type === type && predicate(message as GatewayMessageOf<T>);
    return this.waitForEvent('message', matches, timeoutMs, type);
  }

  /** The next invalid frame matching `predicate`; same rules as `waitFor`. */
  waitForInvalidFrame(predicate: (invalid: InvalidFrame) => boolean = () => true, timeoutMs = DEFAULT_WAIT_MS): Promise<InvalidFrame> {
    return this.waitForEvent('invalidFrame', (invalid): invalid is InvalidFrame => predicate(invalid), timeoutMs, 'an invalid frame');
  }

  private waitForEvent<E extends 'message' | 'invalidFrame', R extends GatewayClientEvents[E][0]>(
    event: E,
    matches: (value: GatewayClientEvents[E][0]) => value is R,
    timeoutMs: number,
    what: string,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      // The listeners are typed per event; one untyped signature keeps this helper generic.
      const emitter = this as EventEmitter;
      const cleanup = () => {
        clearTimeout(timer);
        emitter.off(event, onValue);
        emitter.off('close', onClose);
      };
      const onValue = (value: GatewayClientEvents[E][0]) => {
        try {
          if (!matches(value)) return;
          cleanup();
          resolve(value);
        } catch (error) {
          cleanup();
          reject(error);
        }
      };
      const onClose = () => {
        cleanup();
        reject(new Error(`gateway ${this.gatewayId}: closed while waiting for ${what}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new GatewayTimeoutError(`gateway ${this.gatewayId}: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      emitter.on(event, onValue);
      emitter.on('close', onClose);
    });
  }

  private subscribe<E extends 'latestVersion' | 'availableVersions' | 'upgrade' | 'downloadUpgrade'>(
    event: E,
    listener: (...args: GatewayClientEvents[E]) => void,
  ): () => void {
    const emitter = this as EventEmitter;
    emitter.on(event, listener as (...args: unknown[]) => void);
    return () => emitter.off(event, listener as (...args: unknown[]) => void);
  }

  private dispatch(topic: string, bytes: Buffer): void {
    const decoded = decodeGatewayMessage(topic, bytes);
    if (decoded === null) {
      this.emit('otherMessage', topic, bytes);
      return;
    }
    if (!decoded.ok) {
      this.emit('invalidFrame', decoded.invalid);
      return;
    }
    const { message } = decoded;
    this.emit('message', message);
    switch (message.type) {
      case ToGatewayMessageType.LatestVersion:
        this.emit('latestVersion', message);
        break;
      case ToGatewayMessageType.AvailableVersions:
        this.emit('availableVersions', message);
        break;
      case ToGatewayMessageType.Upgrade:
        this.emit('upgrade', message);
        break;
      case ToGatewayMessageType.DownloadUpgrade:
        this.emit('downloadUpgrade', message);
        break;
    }
  }

  private firstConnection(client: MqttClient): Promise<void> {
    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    return new Promise<void>((resolve, reject) => {
      let lastError: Error | undefined;
      const cleanup = () => {
        clearTimeout(timer);
        client.off('connect', onConnect);
        client.off('error', onError);
        client.off('end', onEnd);
      };
      const onEnd = () => {
        cleanup();
        reject(new Error(`gateway ${this.gatewayId}: closed before it connected`));
      };
      const onConnect = () => {
        cleanup();
        resolve();
      };
      const onError = (error: Error) => {
        lastError = error;
        // A refusal by the broker will not change on retry; network errors may.
        if (error instanceof ErrorWithReasonCode || this.closing) {
          cleanup();
          reject(error);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        const reason = lastError ? `: ${lastError.message}` : '';
        reject(new GatewayTimeoutError(`gateway ${this.gatewayId}: not connected to ${this.options.url} within ${timeoutMs} ms${reason}`));
      }, timeoutMs);
      client.on('connect', onConnect);
      client.on('error', onError);
      client.on('end', onEnd);
    });
  }

  private requestPayload(): string {
    return this.options.requestPayload === 'empty' ? '' : EMPTY_REQUEST_PAYLOAD;
  }

  private async publishFrame(type: ToCloudMessageType, payload: Buffer | string, timestampSeconds?: number): Promise<void> {
    await this.client().publishAsync(toCloudTopic(type, this.gatewayId), encodeFrame(payload, timestampSeconds), { qos: QOS });
  }

  private client(): MqttClient {
    if (!this.mqtt) throw new Error(`gateway ${this.gatewayId}: not connected (call connect() first)`);
    return this.mqtt;
  }
}
