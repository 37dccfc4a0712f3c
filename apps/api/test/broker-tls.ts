import { GatewayClient, type GatewayClientOptions } from '@upgrade-manager/gateway-client';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';

const ROOT = resolve(__dirname, '../../..');

/** The broker's TLS listener as gateways reach it (the certificate names localhost). */
export function tlsUrl(): string {
  return `mqtts://localhost:${process.env['MQTT_TLS_PORT'] || 8883}`;
}

/** The CA the broker's certificate chains to (certs/out/ca.crt unless MQTT_TLS_CA_FILE says otherwise). */
export function caFile(): string {
  return resolve(ROOT, process.env['MQTT_TLS_CA_FILE'] || 'certs/out/ca.crt');
}

export function brokerCa(): Buffer {
  return readFileSync(caFile());
}

/** A gateway over TLS, verifying the broker against the CA; clean session for throw-away ids. */
export function tlsGatewayOptions(gatewayId: string, companyId: string, overrides: Partial<GatewayClientOptions> = {}): GatewayClientOptions {
  return {
    url: tlsUrl(),
    gatewayId,
    companyId,
    username: process.env['MQTT_GATEWAY_USERNAME'] ?? 'gateway',
    password: process.env['MQTT_GATEWAY_PASSWORD'],
    ca: brokerCa(),
    rejectUnauthorized: true,
    clean: true,
    reconnectPeriod: 0,
    connectTimeoutMs: 10_000,
    ...overrides,
  };
}

export async function connectTlsGateway(gatewayId: string, companyId: string, overrides: Partial<GatewayClientOptions> = {}): Promise<GatewayClient> {
  const client = new GatewayClient(tlsGatewayOptions(gatewayId, companyId, overrides));
  await client.connect();
  return client;
}

export type ConnectOutcome = { ok: true; client: MqttClient } | { ok: false; error: Error };

/**
 * One connection attempt without retries: the connected client, or the error that refused it
 * (bad credentials, failed certificate check). A result object rather than `instanceof Error`,
 * since TLS errors come from Node's own realm, not the test's.
 */
export function tryConnect(url: string, options: IClientOptions): Promise<ConnectOutcome> {
  return new Promise((resolvePromise) => {
    const client = connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, clean: true, ...options });
    const onConnect = () => done({ ok: true, client });
    const onError = (error: Error) => done({ ok: false, error });
    const onClose = () => done({ ok: false, error: new Error('connection closed before CONNACK') });
    const done = (outcome: ConnectOutcome) => {
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
      // Later errors (e.g. after the broker closes the connection) must not crash the test run.
      client.on('error', () => undefined);
      if (!outcome.ok) client.end(true);
      resolvePromise(outcome);
    };
    client.once('connect', onConnect);
    client.once('error', onError);
    client.once('close', onClose);
  });
}

/** A client that must connect; throws the refusal otherwise. */
export async function mustConnect(url: string, options: IClientOptions): Promise<MqttClient> {
  const outcome = await tryConnect(url, options);
  if (!outcome.ok) throw new Error(`connection to ${url} refused: ${outcome.error.message}`);
  return outcome.client;
}

/** Connects with the API's own account (may publish to every gateway): for tests that play the cloud. */
export function connectCloudAccount(url = process.env['MQTT_URL'] ?? 'mqtt://127.0.0.1:1883', options: IClientOptions = {}): Promise<MqttClient> {
  return mustConnect(url, {
    username: process.env['MQTT_USERNAME'] ?? 'upgrade-manager-api',
    password: process.env['MQTT_PASSWORD'],
    clientId: `um-test-cloud-${Math.random().toString(16).slice(2, 10)}`,
    ...options,
  });
}
