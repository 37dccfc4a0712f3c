import { EventEmitter } from 'node:events';
import type { IClientOptions, IClientPublishOptions, MqttClient } from 'mqtt';

export interface Published {
  topic: string;
  payload: Buffer;
  options: IClientPublishOptions | undefined;
}

/** Just enough of mqtt.js's MqttClient for the unit tests: records what is sent, lets tests deliver. */
export class FakeMqttClient extends EventEmitter {
  connected = false;
  readonly published: Published[] = [];
  readonly subscribed: string[] = [];
  subscribeError: Error | undefined;
  ended = false;

  constructor(
    readonly url: string,
    readonly options: IClientOptions,
  ) {
    super();
  }

  acceptConnection(): void {
    this.connected = true;
    this.emit('connect', { cmd: 'connack', returnCode: 0, sessionPresent: false });
  }

  deliver(topic: string, payload: Buffer): void {
    this.emit('message', topic, payload, { cmd: 'publish', topic, payload, qos: 1, dup: false, retain: false });
  }

  async subscribeAsync(topics: string | string[]): Promise<{ topic: string; qos: number }[]> {
    if (this.subscribeError) throw this.subscribeError;
    const list = Array.isArray(topics) ? topics : [topics];
    this.subscribed.push(...list);
    return list.map((topic) => ({ topic, qos: 1 }));
  }

  async publishAsync(topic: string, payload: Buffer | string, options?: IClientPublishOptions): Promise<undefined> {
    if (this.ended) throw new Error('client disconnecting');
    this.published.push({ topic, payload: Buffer.from(payload), options });
    return undefined;
  }

  async endAsync(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.connected = false;
    this.emit('end');
  }
}

/** A connect function for GatewayClient that hands out FakeMqttClients and remembers them. */
export function fakeConnect(onCreate: (client: FakeMqttClient) => void = (client) => queueMicrotask(() => client.acceptConnection())) {
  const clients: FakeMqttClient[] = [];
  const connect = (url: string, options: IClientOptions): MqttClient => {
    const client = new FakeMqttClient(url, options);
    clients.push(client);
    onCreate(client);
    return client as unknown as MqttClient;
  };
  return { connect, clients };
}
