import { connect } from 'mqtt';
import { FramesInFlight } from './frames-in-flight';
import { storePublishesUncopied } from './uncopied-publish-store';

describe('storePublishesUncopied', () => {
  type Internals = { _storeAndSend: (packet: object, cb: () => void, cbStorePut: () => void) => void; _writePacket: (packet: object, cb: () => void) => void };

  // Never connected: the store is called the way mqtt.js calls it for a QoS 1 publish, and nothing is written.
  async function storedPayload(uncopied: boolean, frame: Buffer): Promise<Buffer> {
    const client = connect('mqtt://127.0.0.1:1', { manualConnect: true, reconnectPeriod: 0 });
    if (uncopied) storePublishesUncopied(client);
    const internals = client as unknown as Internals;
    const written: object[] = [];
    internals._writePacket = (packet, cb) => {
      written.push(packet);
      cb();
    };
    const packet = { cmd: 'publish', topic: 'TOGATEWAY/UPGRADE/gw-1', payload: frame, qos: 1, messageId: 7, retain: false, dup: false };
    await new Promise<void>((resolve) => internals._storeAndSend(packet, resolve, () => undefined));
    expect(written).toEqual([packet]);
    return new Promise((resolve, reject) =>
      client.outgoingStore.get({ messageId: 7 }, (error, stored) => (error ? reject(error) : resolve((stored as { payload: Buffer }).payload))),
    );
  }

  it('stores a QoS 1 publish with its own payload Buffer instead of a copy', async () => {
    const frame = Buffer.from('frame');
    expect(await storedPayload(true, frame)).toBe(frame);
  });

  it('is needed: mqtt.js stores a copy otherwise', async () => {
    const frame = Buffer.from('frame');
    const stored = await storedPayload(false, frame);
    expect(stored).not.toBe(frame);
    expect(stored.equals(frame)).toBe(true);
  });
});

describe('FramesInFlight', () => {
  it('charges a frame once while publishes of it are in flight, and again after', () => {
    const frames = new FramesInFlight();
    const frame = Buffer.alloc(10);
    const first = frames.enter(frame);
    const second = frames.enter(frame);
    expect([first.bytes, second.bytes, frames.enter(Buffer.alloc(3)).bytes]).toEqual([10, 0, 3]);
    first.leave();
    first.leave();
    expect(frames.enter(frame).bytes).toBe(0);
    second.leave();
  });
});
