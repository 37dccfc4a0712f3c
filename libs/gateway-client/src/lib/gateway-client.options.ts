import type { IClientOptions } from 'mqtt';

export interface GatewayClientOptions {
  /** Broker URL: `mqtt://host:1883` or `mqtts://host:8883`. */
  url: string;
  gatewayId: string;
  /** Default companyId of `sendStatus`. */
  companyId?: string;
  username?: string;
  password?: string;
  /** CA certificate(s) the broker's certificate must chain to (PEM). Share one Buffer across a fleet. */
  ca?: string | Buffer;
  /** Verify the broker's TLS certificate (default true). */
  rejectUnauthorized?: boolean;
  /** MQTT client id; defaults to the gatewayId, as in the field. */
  clientId?: string;
  /**
   * Clean session. Default false: gateways in the field keep a persistent session so QoS 1
   * messages sent while they were offline (an Upgrade, a Download Upgrade) reach them when they
   * reconnect. Use true for throw-away ids, so the broker does not keep their sessions.
   */
  clean?: boolean;
  /** Milliseconds between reconnection attempts after a lost connection (default 5000; 0 = never). */
  reconnectPeriod?: number;
  /** MQTT keepalive in seconds (default 60). */
  keepalive?: number;
  /** How long `connect()` waits for the first connection before it gives up (default 30000 ms). */
  connectTimeoutMs?: number;
  /** Payload of Request Latest/Available Versions: `" "` like field gateways (default) or empty. */
  requestPayload?: 'space' | 'empty';
  /** MQTT protocol version (default 4 = 3.1.1, what field gateways speak). */
  protocolVersion?: 4 | 5;
}

export const DEFAULT_RECONNECT_PERIOD_MS = 5_000;
export const DEFAULT_KEEPALIVE_S = 60;
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/** The mqtt.js options for one gateway (no I/O). */
export function toMqttOptions(options: GatewayClientOptions): IClientOptions {
  const mqttOptions: IClientOptions = {
    clientId: options.clientId ?? options.gatewayId,
    clean: options.clean ?? false,
    protocolVersion: options.protocolVersion ?? 4,
    reconnectPeriod: options.reconnectPeriod ?? DEFAULT_RECONNECT_PERIOD_MS,
    keepalive: options.keepalive ?? DEFAULT_KEEPALIVE_S,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
    // We subscribe ourselves in connect(); mqtt.js re-subscribes after a reconnect.
    resubscribe: true,
    manualConnect: false,
  };
  if (options.username !== undefined) mqttOptions.username = options.username;
  if (options.password !== undefined) mqttOptions.password = options.password;
  if (options.ca !== undefined) mqttOptions.ca = options.ca;
  return mqttOptions;
}
