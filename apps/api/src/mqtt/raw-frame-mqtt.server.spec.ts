import type { IPublishPacket, MqttClient } from 'mqtt';
import { ServerMqtt } from '@nestjs/microservices';
import { RawFrameMqttServer } from './raw-frame-mqtt.server';

describe('RawFrameMqttServer', () => {
  it('finds the same handler as Nest for gateway topics and topics that look like JSON', () => {
    const handler = jest.fn(async () => undefined);
    const servers = [new RawFrameMqttServer({ url: 'mqtt://127.0.0.1:1' }), new ServerMqtt({ url: 'mqtt://127.0.0.1:1' })];
    for (const server of servers) {
      server.addHandler('TOCLOUD/+/+', handler, true);
      server.addHandler('quoted', handler, true);
    }
    const [raw, nest] = servers;
    expect(raw.getHandlerByPattern('TOCLOUD/STATUS/gw-1')).toBe(handler);
    for (const topic of ['TOCLOUD/STATUS/gw-1', 'TOGATEWAY/UPGRADE/gw-1', '"quoted"', '{"not":"json', '123', 'TOCLOUD/STATUS']) {
      expect(raw.getHandlerByPattern(topic)).toBe(nest.getHandlerByPattern(topic));
    }
  });
});

describe('RawFrameMqttServer direct routes', () => {
  it('hands a message of a direct route to its handler, acknowledged only when it is stored', async () => {
    const server = new RawFrameMqttServer({ url: 'mqtt://127.0.0.1:1' });
    const stored = new Map([
      ['gw-1', true],
      ['gw-2', false],
    ]);
    const handler = jest.fn(async (topic: string) => stored.get(topic.split('/')[2]) ?? true);
    server.addDirectRoute('TOCLOUD/STATUS/+', handler);
    // Subscribed like every pattern.
    expect([...server.getHandlers().keys()]).toEqual(['TOCLOUD/STATUS/+']);
    const payload = Buffer.from([1, 2, 3]);
    expect(await server.dispatchAdopted('TOCLOUD/STATUS/gw-1', payload, {})).toBe(true);
    expect(await server.dispatchAdopted('TOCLOUD/STATUS/gw-2', payload, {})).toBe(false);
    expect(handler).toHaveBeenCalledWith('TOCLOUD/STATUS/gw-1', payload);
    // Another depth is not the route's (Nest finds no handler either).
    expect(await server.dispatchAdopted('TOCLOUD/STATUS/gw-1/x', payload, {})).toBe(true);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('refuses a pattern that does not end in one `+` level', () => {
    expect(() => new RawFrameMqttServer({ url: 'mqtt://127.0.0.1:1' }).addDirectRoute('TOCLOUD/#', jest.fn())).toThrow('/+');
  });
});

describe('RawFrameMqttServer acknowledgements', () => {
  // A client that never connects, and a socket that records the PUBACKs written to it (4 bytes each).
  function unconnectedServer() {
    // mqtt.js's manualConnect (not in Nest's option type): the client never dials.
    const options = { url: 'mqtt://127.0.0.1:1', manualConnect: true, sharedGroup: 'api' };
    const server = new RawFrameMqttServer(options);
    const stored = new Map([
      ['gw-1', true],
      ['gw-2', false],
    ]);
    let store!: () => void;
    const storing = new Promise<void>((resolve) => (store = resolve));
    server.addDirectRoute('TOCLOUD/STATUS/+', async (topic) => {
      await storing;
      return stored.get(topic.split('/')[2]) ?? true;
    });
    const client = server.createMqttClient();
    const acknowledged: number[] = [];
    server.bindEvents(client);
    const stream = {
      write: (bytes: Buffer) => {
        for (let at = 0; at < bytes.length; at += 4) if (bytes[at] === 0x40 && bytes[at + 1] === 2) acknowledged.push(bytes.readUInt16BE(at + 2));
      },
    };
    Object.assign(client, { connected: true, stream });
    return { client, acknowledged, store };
  }

  // What mqtt.js does with a QoS 1 PUBLISH: emits it, then asks handleMessage whether to acknowledge it.
  function receive(client: MqttClient, gatewayId: string, messageId: number): unknown[] {
    const packet: IPublishPacket = {
      cmd: 'publish',
      topic: `TOCLOUD/STATUS/${gatewayId}`,
      payload: Buffer.alloc(1),
      qos: 1,
      dup: false,
      retain: false,
      messageId,
    };
    client.emit('message', packet.topic, packet.payload as Buffer, packet);
    const callbacks: unknown[] = [];
    client.handleMessage(packet, (error) => callbacks.push(error));
    return callbacks;
  }

  it('acknowledges each message its handler stored, once stored, and none it did not', async () => {
    const { client, acknowledged, store } = unconnectedServer();
    const deferred = [...receive(client, 'gw-1', 11), ...receive(client, 'gw-2', 12), ...receive(client, 'gw-3', 13)];
    // mqtt.js is told not to acknowledge them itself.
    expect(deferred).toHaveLength(3);
    expect(deferred.every((error) => error instanceof Error)).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(acknowledged).toEqual([]);
    store();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(acknowledged).toEqual([11, 13]);
  });
});
