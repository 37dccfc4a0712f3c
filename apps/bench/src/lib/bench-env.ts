import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import dotenv from 'dotenv';

/** The services the benchmark talks to, from `.env` (as the API reads them). */
export interface BenchEnv {
  mqttUrl: string;
  /** The API's account: the only one that may publish TOGATEWAY/# and read TOCLOUD/#. */
  cloudUsername: string;
  cloudPassword: string;
  gatewayUsername: string;
  gatewayPassword: string;
  mongoUrl: string;
  /** Where `npm run services:start` keeps the services' files (DATA_DIR), for their pid files. */
  dataDir: string;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: run \`npm run services:start\` once (it creates .env), or set it in the environment`);
  return value;
}

/** Loads `<root>/.env` (variables already set win) and reads what the benchmark needs. */
export function loadBenchEnv(root: string = process.cwd()): BenchEnv {
  const envFile = join(root, '.env');
  if (existsSync(envFile)) dotenv.config({ path: envFile, quiet: true });
  const env = process.env;
  return {
    mqttUrl: env['MQTT_URL'] ?? 'mqtt://127.0.0.1:1883',
    cloudUsername: env['MQTT_USERNAME'] ?? 'upgrade-manager-api',
    cloudPassword: required(env, 'MQTT_PASSWORD'),
    gatewayUsername: env['MQTT_GATEWAY_USERNAME'] ?? 'gateway',
    gatewayPassword: required(env, 'MQTT_GATEWAY_PASSWORD'),
    mongoUrl: env['MONGO_URL'] ?? 'mongodb://127.0.0.1:27017/upgrade-manager',
    dataDir: resolve(root, env['DATA_DIR'] || '.data'),
  };
}

/** The same server with another database name. */
export function withDatabaseName(mongoUrl: string, dbName: string): string {
  const url = new URL(mongoUrl);
  url.pathname = `/${dbName}`;
  return url.toString();
}

/** scheme://host:port of a service URL, without credentials or database name. */
export function serviceAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'unparsable URL';
  }
}
