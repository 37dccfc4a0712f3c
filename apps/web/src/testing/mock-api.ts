import { vi } from 'vitest';

export interface MockRequest {
  method: string;
  url: URL;
  params: Record<string, string>;
  headers: Headers;
  body: unknown;
}

export interface MockResponse {
  status?: number;
  body?: unknown;
}

type Handler = (request: MockRequest) => MockResponse | unknown | Promise<MockResponse | unknown>;

/** A reply with a status; any other value a handler returns is sent as a 200 JSON body. */
export const reply = (status: number, body?: unknown): MockResponse & { __reply: true } => ({ status, body, __reply: true });

function isReply(value: unknown): value is MockResponse {
  return typeof value === 'object' && value !== null && '__reply' in value;
}

function compile(pattern: string): { method: string; regex: RegExp; names: string[] } {
  const [method, path] = pattern.split(' ');
  const names: string[] = [];
  const source = path.replace(/:([A-Za-z]+)/g, (_match, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { method, regex: new RegExp(`^${source}$`), names };
}

/**
 * Replaces fetch() with routes like `'GET /api/gateways/:id'`; records every call.
 * Unmatched calls fail the way a missing route would (404), so a test sees what it forgot.
 */
export function mockApi(routes: Record<string, Handler>) {
  const compiled = Object.entries(routes).map(([pattern, handler]) => ({ ...compile(pattern), handler }));
  const calls: MockRequest[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost');
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    const headers = new Headers(init?.headers);
    for (const route of compiled) {
      const match = route.method === method ? route.regex.exec(url.pathname) : null;
      if (!match) continue;
      const params = Object.fromEntries(route.names.map((name, index) => [name, decodeURIComponent(match[index + 1])]));
      const request = { method, url, params, headers, body };
      calls.push(request);
      const result = await route.handler(request);
      const { status, body: responseBody } = isReply(result) ? result : { status: 200, body: result };
      return new Response(responseBody === undefined ? null : JSON.stringify(responseBody), {
        status: status ?? 200,
        headers: { 'Content-Type': 'application/json' },
      });
    }
    calls.push({ method, url, params: {}, headers, body });
    return new Response(JSON.stringify({ statusCode: 404, message: `No mock for ${method} ${url.pathname}` }), { status: 404 });
  });
  vi.stubGlobal('fetch', fetchMock);
  return {
    calls,
    callsTo: (method: string, pathname: string) => calls.filter((call) => call.method === method && call.url.pathname === pathname),
  };
}
