import express, { type RequestHandler } from 'express';
import type { LoginCheck } from '../auth/login-check';

/** The JSON body limit of every route but one: far above any request DTO (Express's own default). */
export const JSON_BODY_LIMIT_BYTES = 100 * 1024;

/** The one route whose body is large: a deployment to a list of gateways. */
function isLargeBodyRoute(method: string, path: string): boolean {
  // Express matches routes case-insensitively and with or without a trailing slash.
  return method === 'POST' && path.toLowerCase().replace(/\/+$/, '') === '/api/deployments';
}

/**
 * Parses the JSON body of POST /api/deployments up to `largeLimit` for a logged-in caller who may
 * deploy, an admin or a super user (anyone in development mode, which listens on loopback only),
 * ahead of the general parser of JSON_BODY_LIMIT_BYTES, which then skips the parsed body. Body parsers run before Nest's guards: with one limit sized for that route,
 * anyone, logged in or not, had every route parse 2.6 MB (an array of empty objects: about 230 ms
 * of CPU per request, under the rate limit, which is a guard too).
 */
export function largeJsonBodies(largeLimit: number, developmentMode: boolean, login: LoginCheck): RequestHandler {
  const parse = express.json({ limit: largeLimit });
  return (request, response, next) => {
    if (!isLargeBodyRoute(request.method, request.path)) return next();
    // Within the general limit (the usual deployment: a company, all, a few ids): no login check here.
    const length = Number(request.headers['content-length']);
    if (Number.isFinite(length) && length <= JSON_BODY_LIMIT_BYTES) return next();
    if (developmentMode) return parse(request, response, next);
    login.principalOf(request).then(
      // Only a role that may deploy: a user's deployment is refused anyway (403), after a parse it need not cost.
      (principal) => (principal === null || principal.role === 'user' ? next() : parse(request, response, next)),
      (error: unknown) => next(error),
    );
  };
}
