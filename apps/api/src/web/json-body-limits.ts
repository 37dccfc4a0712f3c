import express, { type NextFunction, type Request, type RequestHandler } from 'express';
import { finished } from 'node:stream';
import { authenticationRequired } from '../auth/jwt-auth.guard';
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
 * Without a valid login (none, expired, revoked) the answer is the guard's 401, whatever the
 * size: the route answers that to any body, and a 413 would hide from the web app that its
 * session ended. A failure of the login check itself (the database) is answered as in the guard.
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
      (principal) => {
        if (principal === null) return refuseUnparsed(request, authenticationRequired(), next);
        // A user may not deploy (403 for a small body): the general parser refuses the large one (413) unparsed.
        if (principal.role === 'user') return next();
        parse(request, response, next);
      },
      (error: unknown) => refuseUnparsed(request, error, next),
    );
  };
}

/** Reads the body off without keeping or parsing it before answering, as the body parser does before its 413: a client still sending would otherwise see the connection fail rather than the answer. */
function refuseUnparsed(request: Request, error: unknown, next: NextFunction): void {
  finished(request, () => next(error));
  request.resume();
}
