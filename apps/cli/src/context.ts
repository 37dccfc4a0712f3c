import { ApiClient } from './api-client';
import { readCredentials } from './credentials-store';
import type { Output } from './output';

export const DEFAULT_API_URL = 'http://localhost:5001';

/** Environment variables for pipelines; a stored login is used when they are not set. */
export const CLI_ENV = { api: 'UPGRADE_MANAGER_API', token: 'UPGRADE_MANAGER_TOKEN' } as const;

/** The options every command takes (commander's program-level options). */
export interface GlobalOptions {
  api?: string;
  json?: boolean;
}

export interface CliContext {
  env: NodeJS.ProcessEnv;
  output: Output;
  apiUrl: string;
  api: ApiClient;
}

/** The API URL: --api, else UPGRADE_MANAGER_API, else the one logged in to, else the local default. */
export function resolveApiUrl(options: GlobalOptions, env: NodeJS.ProcessEnv): string {
  const url = options.api || env[CLI_ENV.api] || readCredentials(env)?.api || DEFAULT_API_URL;
  return url.replace(/\/+$/, '');
}

/**
 * The token: UPGRADE_MANAGER_TOKEN, else the stored login — only for the API it was issued by, so a
 * token never goes to another server given with --api.
 */
export function resolveToken(apiUrl: string, env: NodeJS.ProcessEnv): string | null {
  const fromEnv = env[CLI_ENV.token];
  if (fromEnv) return fromEnv;
  const stored = readCredentials(env);
  return stored && stored.api === apiUrl ? stored.token : null;
}

export function createContext(options: GlobalOptions, env: NodeJS.ProcessEnv, streams: Omit<Output, 'json'>): CliContext {
  const apiUrl = resolveApiUrl(options, env);
  return { env, output: { ...streams, json: options.json === true }, apiUrl, api: new ApiClient(apiUrl, resolveToken(apiUrl, env)) };
}
