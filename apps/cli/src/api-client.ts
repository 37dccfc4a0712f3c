import { type QueryOf, type RequestBodyOf, type ResponseOf, typedApi } from '@upgrade-manager/api-client';
import type { RolloutAction } from '@upgrade-manager/dto';
import { CliError } from './exit-codes';

/** A failed API call with the server's message. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(`${message} (HTTP ${status})`);
    this.name = 'ApiError';
  }
}

interface ErrorBody {
  message?: string | string[];
  error?: string;
}

/** The server's message from an error body (Nest's or the API's filter's), else the status text. */
export function errorMessage(body: unknown, fallback: string): string {
  const { message, error } = (typeof body === 'object' && body !== null ? body : {}) as ErrorBody;
  if (Array.isArray(message)) return message.join('; ');
  return message || error || fallback;
}

/** The REST calls the CLI makes, typed by the API's OpenAPI document; JSON in and out, bearer token. */
export class ApiClient {
  private readonly request = typedApi((method, path, options) => this.send(method, path, options));

  constructor(
    readonly baseUrl: string,
    private readonly token: string | null,
  ) {}

  url(path: string, query: object = {}): URL {
    const url = new URL(path, this.baseUrl);
    for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
    return url;
  }

  authHeaders(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  private async send(method: string, path: string, { query, body }: { query?: object; body?: unknown }): Promise<unknown> {
    const headers: Record<string, string> = { Accept: 'application/json', ...this.authHeaders() };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(this.url(path, query), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new CliError(`Cannot reach the API at ${this.baseUrl}: ${(error as Error).cause ?? (error as Error).message}`);
    }
    const text = await response.text();
    const parsed: unknown = text ? parseJson(text) : undefined;
    if (!response.ok) {
      const hint = response.status === 401 ? ' — log in with `upgrade-manager login` or set UPGRADE_MANAGER_TOKEN' : '';
      throw new ApiError(response.status, `${errorMessage(parsed, response.statusText)}${hint}`);
    }
    return parsed;
  }

  login(credentials: RequestBodyOf<'post', '/api/auth/login'>): Promise<ResponseOf<'post', '/api/auth/login'>> {
    return this.request('post', '/api/auth/login', { body: credentials });
  }

  logout(): Promise<void> {
    return this.request('post', '/api/auth/logout');
  }

  listVersions(): Promise<ResponseOf<'get', '/api/versions'>> {
    return this.request('get', '/api/versions');
  }

  deleteVersion(version: string): Promise<void> {
    return this.request('delete', '/api/versions/{version}', { path: { version } });
  }

  listGateways(query: QueryOf<'get', '/api/gateways'>): Promise<ResponseOf<'get', '/api/gateways'>> {
    return this.request('get', '/api/gateways', { query });
  }

  createDeployment(body: RequestBodyOf<'post', '/api/deployments'>): Promise<ResponseOf<'post', '/api/deployments'>> {
    return this.request('post', '/api/deployments', { body });
  }

  getDeployment(id: string): Promise<ResponseOf<'get', '/api/deployments/{id}'>> {
    return this.request('get', '/api/deployments/{id}', { path: { id } });
  }

  createRollout(body: RequestBodyOf<'post', '/api/rollouts'>): Promise<ResponseOf<'post', '/api/rollouts'>> {
    return this.request('post', '/api/rollouts', { body });
  }

  getRollout(id: string): Promise<ResponseOf<'get', '/api/rollouts/{id}'>> {
    return this.request('get', '/api/rollouts/{id}', { path: { id } });
  }

  rolloutAction(id: string, action: RolloutAction): Promise<ResponseOf<'post', '/api/rollouts/{id}/{action}'>> {
    return this.request('post', '/api/rollouts/{id}/{action}', { path: { id, action } });
  }
}

/** The JSON of a body, or the text itself when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
