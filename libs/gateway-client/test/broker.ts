import { randomBytes } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import type { GatewayClientOptions } from '../src';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (is .env loaded?)`);
  return value;
}

export const brokerUrl = (): string => process.env['MQTT_URL'] ?? 'mqtt://127.0.0.1:1883';

/** A gateway id no other test run uses. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Gateway client options for the shared gateway account. */
export function gatewayOptions(gatewayId: string, overrides: Partial<GatewayClientOptions> = {}): GatewayClientOptions {
  return {
    url: brokerUrl(),
    gatewayId,
    companyId: '2',
    username: env('MQTT_GATEWAY_USERNAME'),
    password: env('MQTT_GATEWAY_PASSWORD'),
    reconnectPeriod: 0,
    ...overrides,
  };
}

/** The cloud side, with the API's account (may publish TOGATEWAY/#), under its own client id. */
export function connectCloud(): Promise<MqttClient> {
  return connectAsync(brokerUrl(), {
    clientId: uniqueId('gwc-it-cloud'),
    clean: true,
    username: env('MQTT_USERNAME'),
    password: env('MQTT_PASSWORD'),
    reconnectPeriod: 0,
  });
}

/** The next message on `topic`, received after this call. */
export function nextMessage(cloud: MqttClient, topic: string, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cloud.off('message', onMessage);
      reject(new Error(`no message on ${topic} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (received: string, payload: Buffer) => {
      if (received !== topic) return;
      clearTimeout(timer);
      cloud.off('message', onMessage);
      resolve(payload);
    };
    cloud.on('message', onMessage);
  });
}
