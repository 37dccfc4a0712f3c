import { toMqttOptions } from './gateway-client.options';

describe('toMqttOptions', () => {
  it('uses the gatewayId as client id and a persistent session by default', () => {
    expect(toMqttOptions({ url: 'mqtt://127.0.0.1:1883', gatewayId: 'gw-1', username: 'gateway', password: 'secret' })).toEqual({
      clientId: 'gw-1',
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 5000,
      keepalive: 60,
      rejectUnauthorized: true,
      resubscribe: true,
      manualConnect: false,
      username: 'gateway',
      password: 'secret',
    });
  });

  it('passes overrides and the CA through', () => {
    const ca = Buffer.from('PEM');
    const options = toMqttOptions({
      url: 'mqtts://localhost:8883',
      gatewayId: 'gw-1',
      clientId: 'other',
      clean: true,
      reconnectPeriod: 0,
      keepalive: 10,
      ca,
      rejectUnauthorized: false,
      protocolVersion: 5,
    });
    expect(options).toMatchObject({ clientId: 'other', clean: true, reconnectPeriod: 0, keepalive: 10, rejectUnauthorized: false, protocolVersion: 5 });
    expect(options.ca).toBe(ca);
    expect(options).not.toHaveProperty('username');
  });
});
