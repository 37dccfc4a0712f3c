import type { IPublishPacket, MqttClient, Packet } from 'mqtt';
import { deferAcks } from './deferred-acks';

// The parts of an mqtt.js client that deferAcks touches.
function fakeClient() {
  const sent: Packet[] = [];
  const client = { connected: true, stream: {}, _sendPacket: (packet: Packet) => void sent.push(packet) } as unknown as MqttClient & {
    connected: boolean;
    stream: object;
  };
  return { client, sent };
}

const packet = (messageId: number, qos: 0 | 1 = 1): IPublishPacket => ({
  cmd: 'publish',
  topic: 'TOCLOUD/STATUS/gw',
  payload: Buffer.alloc(1),
  qos,
  dup: false,
  retain: false,
  messageId,
});
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('deferAcks', () => {
  it('acknowledges a QoS 1 message only once it is stored, and never one that was not', async () => {
    const { client, sent } = fakeClient();
    let store!: (stored: boolean) => void;
    const outcomes = new Map<number, Promise<boolean>>([
      [1, new Promise<boolean>((resolve) => (store = resolve))],
      [2, Promise.resolve(false)],
    ]);
    deferAcks(client, (received) => outcomes.get(received.messageId ?? 0));
    const callbacks: unknown[] = [];
    client.handleMessage(packet(1), (error) => callbacks.push(error));
    client.handleMessage(packet(2), (error) => callbacks.push(error));
    await settle();
    // mqtt.js is told not to acknowledge (an error), and nothing went out yet.
    expect(callbacks.every((error) => error instanceof Error)).toBe(true);
    expect(sent).toEqual([]);
    store(true);
    await settle();
    expect(sent).toEqual([{ cmd: 'puback', messageId: 1 }]);
  });

  it('lets mqtt.js handle messages nobody waits for, and drops an acknowledgement for a connection that is gone', async () => {
    const { client, sent } = fakeClient();
    let store!: (stored: boolean) => void;
    deferAcks(client, (received) => (received.messageId === 3 ? new Promise<boolean>((resolve) => (store = resolve)) : undefined));
    const plain: unknown[] = [];
    client.handleMessage(packet(4), (error) => plain.push(error));
    client.handleMessage(packet(5, 0), (error) => plain.push(error));
    expect(plain).toEqual([undefined, undefined]);
    client.handleMessage(packet(3), () => undefined);
    // Reconnected meanwhile: the broker delivers the message again on the new connection.
    client.stream = {} as typeof client.stream;
    store(true);
    await settle();
    expect(sent).toEqual([]);
  });
});
