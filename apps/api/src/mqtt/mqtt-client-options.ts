import { readFileSync } from 'node:fs';
import type { AppConfigService } from '../config/app-config.service';
import type { Env } from '../config/env.schema';

type MqttEnv = Pick<Env, 'MQTT_URL' | 'MQTT_USERNAME' | 'MQTT_PASSWORD' | 'MQTT_CA_FILE'>;

/** The subset of connection options that both mqtt.js and Nest's MQTT transport accept. */
export interface MqttConnectionOptions {
  url: string;
  clientId: string;
  username: string;
  password: string;
  clean: boolean;
  protocolVersion: 4 | 5;
  properties?: { receiveMaximum: number; sessionExpiryInterval: number };
  reconnectPeriod: number;
  connectTimeout: number;
  ca?: Buffer;
  rejectUnauthorized?: boolean;
}

/** The broker settings from the validated environment. */
export function mqttEnvFrom(config: AppConfigService): MqttEnv {
  return {
    MQTT_URL: config.get('MQTT_URL'),
    MQTT_USERNAME: config.get('MQTT_USERNAME'),
    MQTT_PASSWORD: config.get('MQTT_PASSWORD'),
    MQTT_CA_FILE: config.get('MQTT_CA_FILE'),
  };
}

// QoS 1 messages the broker keeps in flight to one API process. Each is acknowledged once stored
// (deferred acks), so this bounds the Statuses a process holds unwritten: two batches of
// ACTIVITY_BATCH_MAX, one being written while the next fills. Beyond the window the broker queues
// (and past max_queued_messages drops) what the gateways send.
export const SUBSCRIBER_RECEIVE_MAXIMUM = 1000;

// MQTT 5 session expiry "never": what a persistent session of MQTT 3.1.1 is.
const SESSION_NEVER_EXPIRES = 0xffffffff;

/**
 * Connection options shared by the API's subscriber and publisher connections. With
 * `receiveMaximum` the connection speaks MQTT 5 and announces it: the broker keeps that many QoS 1
 * messages in flight to it (Mosquitto's max_inflight_messages, 20 by default, bounds MQTT 3.1.1
 * clients), with the session kept as MQTT 3.1.1 keeps it.
 */
export function buildMqttClientOptions(
  env: MqttEnv,
  clientId: string,
  persistentSession: boolean,
  { receiveMaximum }: { receiveMaximum?: number } = {},
): MqttConnectionOptions {
  const tls = env.MQTT_URL.startsWith('mqtts://');
  return {
    url: env.MQTT_URL,
    clientId,
    username: env.MQTT_USERNAME,
    password: env.MQTT_PASSWORD,
    clean: !persistentSession,
    ...(receiveMaximum === undefined
      ? { protocolVersion: 4 as const }
      : { protocolVersion: 5 as const, properties: { receiveMaximum, sessionExpiryInterval: persistentSession ? SESSION_NEVER_EXPIRES : 0 } }),
    reconnectPeriod: 1000,
    connectTimeout: 5000,
    ...(tls ? { ca: env.MQTT_CA_FILE ? readFileSync(env.MQTT_CA_FILE) : undefined, rejectUnauthorized: true } : {}),
  };
}
