import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What `login` keeps between runs: the API it logged in to and the token it got. */
export interface StoredCredentials {
  api: string;
  token: string;
  email: string;
}

/** `$XDG_CONFIG_HOME/upgrade-manager` (default `~/.config/upgrade-manager`). */
export function configDir(env: NodeJS.ProcessEnv): string {
  const base = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');
  return join(base, 'upgrade-manager');
}

export function credentialsFile(env: NodeJS.ProcessEnv): string {
  return join(configDir(env), 'credentials.json');
}

export function readCredentials(env: NodeJS.ProcessEnv): StoredCredentials | null {
  let text: string;
  try {
    text = readFileSync(credentialsFile(env), 'utf8');
  } catch {
    return null;
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { api, token, email } = parsed as Record<string, unknown>;
  return typeof api === 'string' && typeof token === 'string' ? { api, token, email: typeof email === 'string' ? email : '' } : null;
}

/** Writes the token readable by its owner only (the folder too: it holds nothing else). */
export function writeCredentials(env: NodeJS.ProcessEnv, credentials: StoredCredentials): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = credentialsFile(env);
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  // writeFileSync keeps the mode of a file that exists already.
  chmodSync(file, 0o600);
  return file;
}

/** Removes the stored token; true when there was one. */
export function removeCredentials(env: NodeJS.ProcessEnv): boolean {
  const file = credentialsFile(env);
  const existed = readCredentials(env) !== null;
  rmSync(file, { force: true });
  return existed;
}
