import type {
  CreateDeploymentDto,
  DeploymentCreatedDto,
  DeploymentDetailDto,
  GatewayListDto,
  ListGatewaysQueryDto,
  LoginDto,
  LoginResponseDto,
  VersionListDto,
} from '@upgrade-manager/dto';
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

export type Query = Record<string, string | number | boolean | undefined>;

/** The REST calls the CLI makes; JSON in and out, bearer token. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | null,
  ) {}

  url(path: string, query: Query = {}): URL {
    const url = new URL(`/api${path}`, this.baseUrl);
    for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
    return url;
  }

  authHeaders(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  async request<T>(method: string, path: string, { query, body }: { query?: Query; body?: unknown } = {}): Promise<T> {
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
    return parsed as T;
  }

  login(credentials: LoginDto): Promise<LoginResponseDto> {
    return this.request('POST', '/auth/login', { body: credentials });
  }

  logout(): Promise<void> {
    return this.request('POST', '/auth/logout');
  }

  listVersions(): Promise<VersionListDto> {
    return this.request('GET', '/versions');
  }

  deleteVersion(version: string): Promise<void> {
    return this.request('DELETE', `/versions/${encodeURIComponent(version)}`);
  }

  listGateways(query: ListGatewaysQueryDto): Promise<GatewayListDto> {
    return this.request('GET', '/gateways', { query: { ...query } });
  }

  createDeployment(body: CreateDeploymentDto): Promise<DeploymentCreatedDto> {
    return this.request('POST', '/deployments', { body });
  }

  getDeployment(id: string): Promise<DeploymentDetailDto> {
    return this.request('GET', `/deployments/${encodeURIComponent(id)}`);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
