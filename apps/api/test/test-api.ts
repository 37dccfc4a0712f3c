import type { INestApplication } from '@nestjs/common';
import { connectAsync } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestApi {
  app: INestApplication;
  baseUrl: string;
  dbName: string;
  close(): Promise<void>;
}

/**
 * Starts the real API in-process on a free port with its own database and MQTT client id, so
 * test files never share state. Call once per test file: the configuration is read at import.
 */
export async function startTestApi(env: Record<string, string> = {}): Promise<TestApi> {
  const suffix = randomBytes(4).toString('hex');
  const dbName = `um-test-${suffix}`;
  const mongoUrl = new URL(process.env['MONGO_URL'] ?? 'mongodb://127.0.0.1:27017/upgrade-manager');
  mongoUrl.pathname = `/${dbName}`;
  const mqttClientId = env['MQTT_CLIENT_ID'] ?? `um-test-api-${suffix}`;
  const resourcesDir = mkdtempSync(join(tmpdir(), 'um-test-resources-'));
  Object.assign(process.env, {
    MONGO_URL: mongoUrl.toString(),
    MQTT_CLIENT_ID: mqttClientId,
    WEB_DIST_DIR: `/nonexistent-${suffix}`,
    // Never watch the repo's resources folder: a file dropped there must not land in test databases.
    RESOURCES_DIR: resourcesDir,
    // Every test talks from 127.0.0.1: the per-address limit has its own test (rate-limit).
    HTTP_RATE_LIMIT_PER_MINUTE: '1000000',
    API_INSTANCE_ID: 'test',
    ...env,
  });
  // The API's persistent session (MQTT_CLIENT_ID-API_INSTANCE_ID, see mqtt/api-instance.ts).
  const sessionClientId = `${mqttClientId}-${process.env['API_INSTANCE_ID']}`;
  const { createApiApp, startApiApp } = await import('../src/bootstrap');
  const app = await createApiApp();
  await startApiApp(app, 0, '127.0.0.1');
  // The MQTT side starts in the background; closing before it is up would leave its client
  // connecting after the test file has ended.
  const { RawFrameMqttServer } = await import('../src/mqtt/raw-frame-mqtt.server');
  const mqttServer = app.get(RawFrameMqttServer);
  await eventually(
    async () => {
      if (!mqttServer.client?.connected) throw new Error('the API has not connected to the broker');
    },
    { timeoutMs: 15_000, intervalMs: 20 },
  );
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    dbName,
    baseUrl: `http://127.0.0.1:${address.port}`,
    async close() {
      const { getConnectionToken } = await import('@nestjs/mongoose');
      const connection = app.get(getConnectionToken());
      await connection.dropDatabase().catch(() => undefined);
      await app.close();
      await forgetMqttSession(sessionClientId);
      rmSync(resourcesDir, { recursive: true, force: true });
    },
  };
}

/**
 * An API's MQTT session is persistent: left behind, the broker would queue every later Status for
 * it. A clean connection under its client id makes the broker forget it. Broker and account come
 * from the environment, as for the API.
 */
export async function forgetMqttSession(clientId: string): Promise<void> {
  const { validateEnv } = await import('../src/config/env.schema');
  const { buildMqttClientOptions } = await import('../src/mqtt/mqtt-client-options');
  const { url, ...options } = buildMqttClientOptions(validateEnv(process.env), clientId, false);
  const client = await connectAsync(url, { ...options, reconnectPeriod: 0 });
  await client.endAsync();
}

/** Polls until the check passes or the time is up; for state that settles asynchronously. */
export async function eventually<T>(check: () => Promise<T>, { timeoutMs = 10_000, intervalMs = 100 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
  throw lastError;
}
