import type { RequestHandler } from 'express';
import type { LoginCheck } from '../auth/login-check';

export type ApiDocsMode = 'login' | 'public' | 'off';

/**
 * Who reads /api/docs and /api/docs-json (API_DOCS): `login` (default) any logged-in user with a
 * Bearer token, `public` everyone, `off` nobody. Development mode keeps them open.
 */
export function apiDocsAccess(mode: ApiDocsMode, developmentMode: boolean, login: LoginCheck): RequestHandler {
  return (request, response, next) => {
    if (mode === 'public' || developmentMode) return next();
    if (mode === 'off') {
      response.status(404).json({ statusCode: 404, message: 'The API documentation is off (API_DOCS=off)' });
      return;
    }
    login.principalOf(request).then(
      (principal) => {
        if (principal !== null) return next();
        response.status(401).json({ statusCode: 401, message: 'Log in to read the API documentation (Authorization: Bearer <token>), or set API_DOCS=public' });
      },
      (error: unknown) => next(error),
    );
  };
}
