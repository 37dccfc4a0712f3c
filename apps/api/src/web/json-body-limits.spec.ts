import express from 'express';
import type { AddressInfo } from 'node:net';
import type { LoginCheck } from '../auth/login-check';
import type { Principal } from '../auth/principal';
import { JSON_BODY_LIMIT_BYTES, largeJsonBodies } from './json-body-limits';

// The app's order: the large parser of one route, then the general one.
async function serve(developmentMode: boolean) {
  const checked: string[] = [];
  const login = {
    principalOf: async (request: express.Request) => {
      checked.push(request.path);
      const role = { 'Bearer ok': 'admin', 'Bearer user': 'user' }[request.headers.authorization ?? ''];
      return role ? ({ role } as Principal) : null;
    },
  } as LoginCheck;
  const app = express();
  app.use(largeJsonBodies(4 * JSON_BODY_LIMIT_BYTES, developmentMode, login));
  app.use(express.json({ limit: JSON_BODY_LIMIT_BYTES }));
  app.post(/.*/, (request, response) => {
    response.json({ items: (request.body as { x: unknown[] }).x.length });
  });
  // Express's own error handler would log each 413.
  app.use((error: { status?: number }, _request: express.Request, response: express.Response, _next: express.NextFunction) => {
    response.status(error.status ?? 500).end();
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const post = async (path: string, bytes: number, authorization?: string) =>
    (
      await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ x: Array(Math.floor(bytes / 2)).fill(1) }),
      })
    ).status;
  return { post, checked, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('largeJsonBodies', () => {
  it('parses a large body only on POST /api/deployments of a logged-in admin or super user; everything else has the general limit', async () => {
    const { post, checked, close } = await serve(false);
    try {
      // A body within the general limit goes to the general parser, without a login check.
      expect(await post('/api/deployments', JSON_BODY_LIMIT_BYTES / 2)).toBe(200);
      expect(checked).toEqual([]);
      const large = 2 * JSON_BODY_LIMIT_BYTES;
      expect(await post('/api/deployments', large, 'Bearer ok')).toBe(200);
      expect(await post('/API/Deployments/', large, 'Bearer ok')).toBe(200);
      expect(await post('/api/deployments', large)).toBe(413);
      expect(await post('/api/deployments', large, 'Bearer forged')).toBe(413);
      // A user may not deploy: no large parse for them either.
      expect(await post('/api/deployments', large, 'Bearer user')).toBe(413);
      expect(await post('/api/auth/login', large)).toBe(413);
      expect(await post('/api/rollouts', large, 'Bearer ok')).toBe(413);
      expect(await post('/api/deployments', 8 * JSON_BODY_LIMIT_BYTES, 'Bearer ok')).toBe(413);
      expect(await post('/api/auth/login', JSON_BODY_LIMIT_BYTES / 2)).toBe(200);
    } finally {
      await close();
    }
  });

  it('lets anyone send a large deployment in development mode', async () => {
    const { post, close } = await serve(true);
    try {
      expect(await post('/api/deployments', 2 * JSON_BODY_LIMIT_BYTES)).toBe(200);
      expect(await post('/api/rollouts', 2 * JSON_BODY_LIMIT_BYTES)).toBe(413);
    } finally {
      await close();
    }
  });
});
