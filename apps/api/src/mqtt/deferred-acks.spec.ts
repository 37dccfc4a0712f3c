import type { IPublishPacket, MqttClient } from 'mqtt';
import { deferAcks } from './deferred-acks';

interface Sent {
  cmd: string;
  messageId: number;
}

// A socket that reads what is written to it as MQTT 3.1.1 packets (only PUBACKs are expected).
function fakeStream(sent: Sent[]) {
  const writes: Buffer[] = [];
  const write = (bytes: Buffer): boolean => {
    writes.push(bytes);
    for (let offset = 0; offset < bytes.length; offset += 2 + bytes[offset + 1]) {
      sent.push({
        cmd: bytes[offset] === 0x40 && bytes[offset + 1] === 2 ? 'puback' : `unexpected 0x${bytes[offset].toString(16)}`,
        messageId: bytes.readUInt16BE(offset + 2),
      });
    }
    return true;
  };
  return { writes, write };
}

// The parts of an mqtt.js client that deferAcks touches.
function fakeClient() {
  const sent: Sent[] = [];
  const client = { connected: true, stream: fakeStream(sent) } as unknown as Omit<MqttClient, 'stream'> & {
    connected: boolean;
    stream: ReturnType<typeof fakeStream>;
  };
  return { client: client as typeof client & MqttClient, sent };
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
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
// The outcome's callbacks, then the turn of the event loop the acknowledgements are written in.
const settle = async (): Promise<void> => {
  await nextTurn();
  await nextTurn();
};

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

  it('writes the acknowledgements of messages stored together in one go, in the order they were stored', async () => {
    const { client, sent } = fakeClient();
    let store!: (stored: boolean) => void;
    const batch = new Promise<boolean>((resolve) => (store = resolve));
    deferAcks(client, () => batch);
    const ids = [7, 65535, 300, 1];
    for (const id of ids) client.handleMessage(packet(id), () => undefined);
    store(true);
    await settle();
    expect(sent).toEqual(ids.map((messageId) => ({ cmd: 'puback', messageId })));
    expect(client.stream.writes).toHaveLength(1);
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
    client.stream = fakeStream(sent) as typeof client.stream;
    store(true);
    await settle();
    expect(sent).toEqual([]);
  });

  it('writes the acknowledgements due at once when flushed, before the connection ends', async () => {
    const { client, sent } = fakeClient();
    const flush = deferAcks(client, () => Promise.resolve(true));
    client.handleMessage(packet(9), () => undefined);
    client.handleMessage(packet(10), () => undefined);
    await Promise.resolve();
    await Promise.resolve();
    flush();
    expect(sent).toEqual([9, 10].map((messageId) => ({ cmd: 'puback', messageId })));
    await settle();
    expect(client.stream.writes).toHaveLength(1);
  });
});
