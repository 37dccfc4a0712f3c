import type { CreateDeploymentDto, DeploymentCreatedDto, GatewayListDto, VersionDto } from '@upgrade-manager/dto';

export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';
}

/** The few REST calls the benchmark makes (AUTH_MODE=none: no login). */
export class ApiClient {
  constructor(private readonly baseUrl: string) {}

  /** POST /api/versions, multipart: `version` first, then `file`. */
  async uploadVersion(version: string, image: Buffer): Promise<VersionDto> {
    const form = new FormData();
    form.append('version', version);
    form.append('file', new Blob([image]), `bench-${version}.bin`);
    return this.json<VersionDto>('POST', '/api/versions', form);
  }

  createDeployment(body: CreateDeploymentDto): Promise<DeploymentCreatedDto> {
    return this.json<DeploymentCreatedDto>('POST', '/api/deployments', JSON.stringify(body), { 'content-type': 'application/json' });
  }

  listGateways(query: string): Promise<GatewayListDto> {
    return this.json<GatewayListDto>('GET', `/api/gateways?${query}`);
  }

  private async json<T>(method: string, path: string, body?: FormData | string, headers: Record<string, string> = {}): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, { method, body, headers });
    const text = await response.text();
    if (!response.ok) throw new ApiRequestError(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }
}
