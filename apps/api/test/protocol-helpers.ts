import { GatewayClient, type GatewayClientOptions } from '@upgrade-manager/gateway-client';
import { randomBytes, randomInt } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';

/** A prefix no other test run uses, for gateway and company ids on the shared broker. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * A major version number no other test uses: every test API on the shared broker answers every
 * gateway, so answers are told apart by version.
 */
export function uniqueMajor(): string {
  return `${randomInt(100_000, 999_999)}`;
}

/** Client options of a field gateway on the local broker (shared gateway account, client id = gatewayId). */
export function gatewayOptions(gatewayId: string, companyId: string, overrides: Partial<GatewayClientOptions> = {}): GatewayClientOptions {
  return {
    url: process.env['MQTT_URL'] ?? 'mqtt://127.0.0.1:1883',
    gatewayId,
    companyId,
    username: process.env['MQTT_GATEWAY_USERNAME'] ?? 'gateway',
    password: process.env['MQTT_GATEWAY_PASSWORD'],
    // Throw-away ids: the broker keeps no session for them.
    clean: true,
    reconnectPeriod: 1000,
    connectTimeoutMs: 10_000,
    ...overrides,
  };
}

export async function connectGateway(gatewayId: string, companyId: string, overrides: Partial<GatewayClientOptions> = {}): Promise<GatewayClient> {
  const client = new GatewayClient(gatewayOptions(gatewayId, companyId, overrides));
  await client.connect();
  return client;
}

/** Uploads a version through the API (multipart `version` + `file`). */
export async function uploadVersion(baseUrl: string, version: string, content: Buffer | string): Promise<void> {
  const form = new FormData();
  form.append('version', version);
  form.append('file', new Blob([typeof content === 'string' ? Buffer.from(content) : content]), 'image.bin');
  const response = await fetch(`${baseUrl}/api/versions`, { method: 'POST', body: form });
  if (response.status !== 201) throw new Error(`upload of ${version} failed: ${response.status} ${await response.text()}`);
}

export interface JsonResponse<T> {
  status: number;
  body: T;
}

/** A JSON request to the API; the body is parsed whatever the status. */
export async function api<T = unknown>(baseUrl: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<JsonResponse<T>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

/** The value of one Prometheus sample of GET /metrics, 0 when absent. */
export async function metricValue(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const labelText = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .join(',');
  const prefix = labelText ? `${name}{${labelText}} ` : `${name} `;
  const line = text.split('\n').find((candidate) => candidate.startsWith(prefix));
  return line ? Number(line.slice(prefix.length)) : 0;
}

/** Opens GET /api/stream like a browser's EventSource (development mode); `received()` is everything streamed so far. */
export async function openEventStream(baseUrl: string): Promise<{ response: IncomingMessage; received(): string }> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest(`${baseUrl}/api/stream`, { headers: { accept: 'text/event-stream' } }, resolve);
    req.on('error', reject);
    req.end();
  });
  let body = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => (body += chunk));
  return { response, received: () => body };
}
