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
