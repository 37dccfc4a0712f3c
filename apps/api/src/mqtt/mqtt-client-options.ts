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
  protocolVersion: 4;
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

/** Connection options shared by the API's subscriber and publisher connections. */
export function buildMqttClientOptions(env: MqttEnv, clientId: string, persistentSession: boolean): MqttConnectionOptions {
  const tls = env.MQTT_URL.startsWith('mqtts://');
  return {
    url: env.MQTT_URL,
    clientId,
    username: env.MQTT_USERNAME,
    password: env.MQTT_PASSWORD,
    clean: !persistentSession,
    protocolVersion: 4,
    reconnectPeriod: 1000,
    connectTimeout: 5000,
    ...(tls ? { ca: env.MQTT_CA_FILE ? readFileSync(env.MQTT_CA_FILE) : undefined, rejectUnauthorized: true } : {}),
  };
}
