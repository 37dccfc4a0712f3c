// Loads `.env` for the project's scripts, creating it from `.env.example` on first use with
// random values for the empty secrets, so a fresh clone runs without editing anything.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import dotenv from 'dotenv';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const GENERATED_SECRETS = ['JWT_SECRET', 'MQTT_PASSWORD', 'MQTT_GATEWAY_PASSWORD'];

export function ensureEnvFile() {
  const envPath = join(ROOT, '.env');
  if (existsSync(envPath)) return envPath;
  const template = readFileSync(join(ROOT, '.env.example'), 'utf8');
  const filled = template.replace(/^([A-Z_]+)=$/gm, (line, name) =>
    GENERATED_SECRETS.includes(name) ? `${name}=${randomBytes(24).toString('base64url')}` : line,
  );
  writeFileSync(envPath, filled, { mode: 0o600 });
  console.log('Created .env with generated secrets (see .env.example for every setting).');
  return envPath;
}

/** Loads .env (creating it when missing) into process.env; variables already set win. */
export function loadEnv() {
  dotenv.config({ path: ensureEnvFile(), quiet: true });
  return process.env;
}
