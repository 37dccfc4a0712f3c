import type { Request } from 'express';
import { ExtractJwt } from 'passport-jwt';

/** The server-sent events stream: EventSource cannot set headers, so it sends the token in the query. */
export const STREAM_PATH = '/api/stream';
export const ACCESS_TOKEN_QUERY_PARAMETER = 'access_token';

const fromBearerHeader = ExtractJwt.fromAuthHeaderAsBearerToken();

/** The login token of a request: the Bearer header, or `?access_token=` on GET /api/stream only. */
export function extractAccessToken(request: Request): string | null {
  const fromHeader = fromBearerHeader(request);
  if (fromHeader) return fromHeader;
  if (request.method !== 'GET' || request.path !== STREAM_PATH) return null;
  const token: unknown = request.query?.[ACCESS_TOKEN_QUERY_PARAMETER];
  return typeof token === 'string' && token.length > 0 ? token : null;
}

/** The URL with the value of `?access_token=` hidden, for request logs. */
export function redactAccessToken(url: string): string {
  return url.replace(/([?&]access_token=)[^&#]*/g, '$1[Redacted]');
}
