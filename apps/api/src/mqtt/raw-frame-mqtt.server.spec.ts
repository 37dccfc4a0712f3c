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
