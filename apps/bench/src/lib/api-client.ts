import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { CreateDeploymentDto, CreateRolloutDto, DeploymentCreatedDto, GatewayListDto, RolloutDetailDto, VersionDto } from '@upgrade-manager/dto';

export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';
}

/** A request that has not answered within this long has failed (a slow answer is still a result). */
const REQUEST_TIMEOUT_MS = 30 * 60_000;

/** Multipart body with the text fields first, then one file. */
export function multipartBody(
  fields: Record<string, string>,
  file: { name: string; filename: string; content: Buffer },
): { body: Buffer; contentType: string } {
  const boundary = `----bench${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = Object.entries(fields).map(([name, value]) =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
  );
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    file.content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * The few REST calls the benchmark makes (AUTH_MODE=none: no login), over node:http rather than
 * fetch, whose 5-minute header time-out would end a slow deployment request before the API answers.
 */
export class ApiClient {
  constructor(private readonly baseUrl: string) {}

  /** POST /api/versions, multipart: `version` first, then `file`. */
  uploadVersion(version: string, image: Buffer): Promise<VersionDto> {
    const { body, contentType } = multipartBody({ version }, { name: 'file', filename: `bench-${version}.bin`, content: image });
    return this.json<VersionDto>('POST', '/api/versions', body, contentType);
  }

  createDeployment(dto: CreateDeploymentDto): Promise<DeploymentCreatedDto> {
    return this.json<DeploymentCreatedDto>('POST', '/api/deployments', Buffer.from(JSON.stringify(dto)), 'application/json');
  }

  createRollout(dto: CreateRolloutDto): Promise<RolloutDetailDto> {
    return this.json<RolloutDetailDto>('POST', '/api/rollouts', Buffer.from(JSON.stringify(dto)), 'application/json');
  }

  getRollout(id: string): Promise<RolloutDetailDto> {
    return this.json<RolloutDetailDto>('GET', `/api/rollouts/${id}`);
  }

  /** One sample of GET /metrics (a counter or a histogram's _sum/_count), 0 when absent. */
  async metric(name: string): Promise<number> {
    return (await this.metrics([name])).get(name) ?? 0;
  }

  /**
   * Several samples from one GET /metrics; an absent one is missing from the map. With
   * `metricNames`, only those metrics are collected (`?name=`; none counted in the database).
   */
  async metrics(names: readonly string[], metricNames: readonly string[] = []): Promise<Map<string, number>> {
    const text = await this.metricsText(metricNames);
    const samples = new Map<string, number>();
    for (const line of text.split('\n')) {
      const name = names.find((candidate) => line.startsWith(`${candidate} `));
      if (name !== undefined) samples.set(name, Number(line.slice(name.length + 1)));
    }
    return samples;
  }

  /** The sum of every sample of one metric, whatever its labels (0 when it has none); only that metric is collected. */
  async metricSum(metricName: string): Promise<number> {
    const text = await this.metricsText([metricName]);
    let sum = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${metricName}{`) || line.startsWith(`${metricName} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  }

  private metricsText(metricNames: readonly string[], resent = false): Promise<string> {
    const url = new URL('/metrics', this.baseUrl);
    for (const name of metricNames) url.searchParams.append('name', name);
    return new Promise<string>((resolve, reject) => {
      const req = request(url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        // A socket the API was closing, as in json() below: a deployment request can keep this one idle past 5 s.
        if (!resent && req.reusedSocket && error.code === 'ECONNRESET') return resolve(this.metricsText(metricNames, true));
        reject(error);
      });
      req.end();
    });
  }

  listGateways(query: string): Promise<GatewayListDto> {
    return this.json<GatewayListDto>('GET', `/api/gateways?${query}`);
  }

  private json<T>(method: string, path: string, body?: Buffer, contentType?: string, resent = false): Promise<T> {
    const headers: Record<string, string | number> = body ? { 'content-type': contentType ?? 'application/octet-stream', 'content-length': body.length } : {};
    return new Promise<T>((resolve, reject) => {
      const req = request(new URL(path, this.baseUrl), { method, headers, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) reject(new ApiRequestError(`${method} ${path}: ${status} ${text.slice(0, 500)}`));
          else {
            try {
              resolve(JSON.parse(text) as T);
            } catch (error) {
              reject(new ApiRequestError(`${method} ${path}: not JSON (${(error as Error).message})`));
            }
          }
        });
      });
      req.on('timeout', () => req.destroy(new ApiRequestError(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS / 60_000} min`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        // Node's agent keeps idle sockets for 5 s and the API closes them after 5 s: a request sent on
        // one the API was closing never reached it ("socket hang up"), so it is sent once more on a
        // new socket, as Node's documentation of reusedSocket advises.
        if (!resent && req.reusedSocket && error.code === 'ECONNRESET') return resolve(this.json<T>(method, path, body, contentType, true));
        reject(error instanceof ApiRequestError ? error : new ApiRequestError(`${method} ${path}: ${error.message}`));
      });
      req.end(body);
    });
  }
}
