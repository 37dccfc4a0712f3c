import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, type WriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseEnv } from 'dotenv';
import mongoose from 'mongoose';
import { connectAsync } from 'mqtt';
import { API_CLI, API_MAIN, OUTPUT_DIR, ROOT, WEB_DIST } from './paths';
import type { Account, E2eState } from './state';

const STARTUP_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 10_000;

export interface RunningSystem {
  state: E2eState;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

const secret = () => randomBytes(24).toString('base64url');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function runCli(env: NodeJS.ProcessEnv, args: string[]): string {
  const result = spawnSync(process.execPath, [API_CLI, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: STARTUP_TIMEOUT_MS });
  if (result.status !== 0) throw new Error(`CLI ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

async function waitForHealth(baseUrl: string, api: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (api.exitCode !== null)
      throw new Error(`The API exited with ${api.exitCode} during start-up; see ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    const healthy = await fetch(`${baseUrl}/api/health`)
      .then((response) => response.ok)
      .catch(() => false);
    if (healthy) return;
    await sleep(250);
  }
  throw new Error(`The API did not become healthy within ${STARTUP_TIMEOUT_MS / 1000} s; see ${logFile}`);
}

async function apiCall<T>(baseUrl: string, path: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'Content-Type': 'application/json', ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path} → ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// The API's MQTT session is persistent: left behind, the broker would queue every later Status
// for it. A clean connection under its client id makes the broker forget it.
async function forgetMqttSession(mqttUrl: string, env: NodeJS.ProcessEnv): Promise<void> {
  const client = await connectAsync(mqttUrl, {
    // The API's session is MQTT_CLIENT_ID-API_INSTANCE_ID (apps/api/src/mqtt/api-instance.ts).
    clientId: `${env['MQTT_CLIENT_ID']}-${env['API_INSTANCE_ID']}`,
    username: env['MQTT_USERNAME'],
    password: env['MQTT_PASSWORD'],
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  await client.endAsync();
}

const DROP_TIMEOUT_MS = 15_000;

/** Best effort and bounded: a stuck database must not keep the test run from ending. */
async function dropDatabase(url: string): Promise<void> {
  const connection = mongoose.createConnection(url, { serverSelectionTimeoutMS: 5000, socketTimeoutMS: DROP_TIMEOUT_MS });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, DROP_TIMEOUT_MS)));
  try {
    await Promise.race([connection.asPromise().then((ready) => ready.dropDatabase()), timeout]);
  } catch (error) {
    console.warn(`Could not drop the e2e database: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
    await connection.close(true).catch(() => undefined);
  }
}

function spawnApi(env: NodeJS.ProcessEnv, logFile: string): { api: ChildProcess; log: WriteStream } {
  const log = createWriteStream(logFile);
  const api = spawn(process.execPath, ['--enable-source-maps', API_MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  api.stdout?.pipe(log);
  api.stderr?.pipe(log);
  return { api, log };
}

export interface SiblingApi {
  baseUrl: string;
  stop(): Promise<void>;
}

/** One more API process of the system (same database, broker and secrets) on a port of its own. */
export async function startSiblingApi(state: E2eState, instanceId: string): Promise<SiblingApi> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...state.apiEnv, PORT: String(port), API_INSTANCE_ID: instanceId };
  const logFile = join(OUTPUT_DIR, `api-${instanceId}.log`);
  const { api, log } = spawnApi(env, logFile);
  const stop = async () => {
    await stopProcess(api);
    await forgetMqttSession(state.mqttUrl, env);
    log.end();
  };
  try {
    await waitForHealth(baseUrl, api, logFile);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { baseUrl, stop };
}

/**
 * Starts the built API (serving the built web app) on a free port with a database of its own,
 * bootstraps it with the operator CLI (super user, sample companies) and adds one admin and one
 * user of company "2" through the API.
 */
export async function startSystem(): Promise<RunningSystem> {
  for (const [file, hint] of [
    [API_MAIN, 'npx nx run api:build'],
    [join(WEB_DIST, 'index.html'), 'npx nx run web:build'],
  ]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`${hint}\` first (the e2e target builds both).`);
  }
  const dotenv = existsSync(join(ROOT, '.env')) ? parseEnv(readFileSync(join(ROOT, '.env'))) : {};
  const base = { ...dotenv, ...process.env };
  const mongoUrl = new URL(base['MONGO_URL'] || 'mongodb://127.0.0.1:27017/upgrade-manager');
  const mqttUrl = base['MQTT_URL'] || 'mqtt://127.0.0.1:1883';
  const mqtt = new URL(mqttUrl);
  const missing: string[] = [];
  if (!(await reachable(mongoUrl.hostname, Number(mongoUrl.port || 27017)))) missing.push(`the database at ${mongoUrl.host}`);
  if (!(await reachable(mqtt.hostname, Number(mqtt.port || 1883)))) missing.push(`the MQTT broker at ${mqtt.host}`);
  if (missing.length) throw new Error(`The e2e tests need ${missing.join(' and ')}: run \`npm run services:start\` first.`);

  const runId = randomBytes(3).toString('hex');
  const dbName = `um-e2e-${runId}`;
  mongoUrl.pathname = `/${dbName}`;
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const resourcesDir = mkdtempSync(join(tmpdir(), 'um-e2e-resources-'));
  // The API creates its signing key here on start; protocol-v2 gateways trust its public half.
  const keyDir = mkdtempSync(join(tmpdir(), 'um-e2e-key-'));
  const signingKeyFile = join(keyDir, 'signing-key.pem');
  const superAccount: Account = { email: 'super@e2e.example.com', password: secret() };
  const env: NodeJS.ProcessEnv = {
    ...base,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    MONGO_URL: mongoUrl.toString(),
    MQTT_CLIENT_ID: `um-e2e-api-${runId}`,
    API_INSTANCE_ID: 'e2e',
    AUTH_MODE: 'jwt',
    JWT_SECRET: secret(),
    WEB_DIST_DIR: WEB_DIST,
    RESOURCES_DIR: resourcesDir,
    SIGNING_KEY_FILE: signingKeyFile,
    ADMIN_EMAIL: superAccount.email,
    ADMIN_PASSWORD: superAccount.password,
    LOG_LEVEL: base['E2E_API_LOG_LEVEL'] || 'warn',
  };

  runCli(env, ['init', '--yes-wipe-everything']);
  runCli(env, ['sample-companies']);

  mkdirSync(OUTPUT_DIR, { recursive: true });
  const logFile = join(OUTPUT_DIR, 'api.log');
  const { api, log } = spawnApi(env, logFile);

  const stop = async () => {
    await stopProcess(api);
    await forgetMqttSession(mqttUrl, env);
    log.end();
    rmSync(resourcesDir, { recursive: true, force: true });
    rmSync(keyDir, { recursive: true, force: true });
    await dropDatabase(mongoUrl.toString());
  };

  try {
    await waitForHealth(baseUrl, api, logFile);
    const { accessToken } = await apiCall<{ accessToken: string }>(baseUrl, '/api/auth/login', { method: 'POST', body: superAccount });
    const admin2: Account = { email: `admin-${runId}@company2.example.com`, password: secret() };
    const user2: Account = { email: `user-${runId}@company2.example.com`, password: secret() };
    await apiCall(baseUrl, '/api/users', { method: 'POST', token: accessToken, body: { ...admin2, name: 'Ada Admin', role: 'admin', companyId: '2' } });
    await apiCall(baseUrl, '/api/users', { method: 'POST', token: accessToken, body: { ...user2, name: 'Uma User', role: 'user', companyId: '2' } });
    return {
      state: {
        runId,
        baseUrl,
        mqttUrl,
        gatewayUsername: base['MQTT_GATEWAY_USERNAME'] || 'gateway',
        gatewayPassword: base['MQTT_GATEWAY_PASSWORD'] ?? '',
        signingKeyFile,
        accounts: { super: superAccount, admin2, user2 },
        apiEnv: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
