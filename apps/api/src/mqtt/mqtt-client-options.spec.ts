import { buildMqttClientOptions } from './mqtt-client-options';

const env = { MQTT_URL: 'mqtt://127.0.0.1:1883', MQTT_USERNAME: 'api', MQTT_PASSWORD: 'secret', MQTT_CA_FILE: '' };

describe('buildMqttClientOptions', () => {
  it('speaks MQTT 3.1.1 unless a Receive Maximum is asked for', () => {
    const options = buildMqttClientOptions(env, 'api-1', false);
    expect(options.protocolVersion).toBe(4);
    expect(options).not.toHaveProperty('properties');
  });

  it('announces a Receive Maximum over MQTT 5 and keeps a persistent session as MQTT 3.1.1 does', () => {
    const persistent = buildMqttClientOptions(env, 'api-1', true, { receiveMaximum: 1000 });
    expect(persistent).toMatchObject({ protocolVersion: 5, clean: false, properties: { receiveMaximum: 1000, sessionExpiryInterval: 0xffffffff } });
    // A clean connection ends its session when it disconnects.
    const clean = buildMqttClientOptions(env, 'api-1', false, { receiveMaximum: 1000 });
    expect(clean).toMatchObject({ clean: true, properties: { sessionExpiryInterval: 0 } });
  });
});
