import { Logger, type ArgumentsHost } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { JwtStrategy } from '../auth/jwt.strategy';
import { LoginCheck } from '../auth/login-check';
import type { Principal } from '../auth/principal';
import { GlobalExceptionFilter } from '../common/global-exception.filter';
import { JSON_BODY_LIMIT_BYTES, largeJsonBodies } from './json-body-limits';

const jwt = new JwtService({ secret: 'test-secret', signOptions: { expiresIn: '1h' } });
const tokenOf = async (sub: string, expiresIn = 3600) => `Bearer ${await jwt.signAsync({ sub }, { expiresIn })}`;

// The app's order: the large parser of one route, then the general one; errors answered by the app's filter.
async function serve(developmentMode: boolean) {
  const checked: string[] = [];
  // The real LoginCheck (token verified with its secret); the user as the strategy reads it from the database.
  const strategy = {
    validate: async ({ sub }: { sub: string }): Promise<Pick<Principal, 'role'> | null> => {
      checked.push(sub);
      if (sub === 'database-down') throw new Error('connection to the database lost');
      return sub === 'admin' || sub === 'user' ? { role: sub } : null;
    },
  } as unknown as JwtStrategy;
  const app = express();
  app.use(largeJsonBodies(4 * JSON_BODY_LIMIT_BYTES, developmentMode, new LoginCheck(jwt, strategy)));
  app.use(express.json({ limit: JSON_BODY_LIMIT_BYTES }));
  app.post(/.*/, (request, response) => {
    response.json({ items: (request.body as { x: unknown[] }).x.length });
  });
  const filter = new GlobalExceptionFilter();
  app.use((error: unknown, _request: express.Request, response: express.Response, _next: express.NextFunction) => {
    filter.catch(error, { getType: () => 'http', switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost);
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const send = async (path: string, bytes: number, authorization?: string) => {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ x: Array(Math.floor(bytes / 2)).fill(1) }),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const post = async (path: string, bytes: number, authorization?: string) => (await send(path, bytes, authorization)).status;
  return { post, send, checked, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('largeJsonBodies', () => {
  const large = 2 * JSON_BODY_LIMIT_BYTES;

  it('parses a large body only on POST /api/deployments of a logged-in admin or super user; everything else has the general limit', async () => {
    const { post, checked, close } = await serve(false);
    try {
      // A body within the general limit goes to the general parser, without a login check.
      expect(await post('/api/deployments', JSON_BODY_LIMIT_BYTES / 2, await tokenOf('admin'))).toBe(200);
      expect(checked).toEqual([]);
      const admin = await tokenOf('admin');
      expect(await post('/api/deployments', large, admin)).toBe(200);
      expect(await post('/API/Deployments/', large, admin)).toBe(200);
      // A user may not deploy: no large parse for them either.
      expect(await post('/api/deployments', large, await tokenOf('user'))).toBe(413);
      expect(await post('/api/auth/login', large)).toBe(413);
      expect(await post('/api/rollouts', large, admin)).toBe(413);
      expect(await post('/api/deployments', 8 * JSON_BODY_LIMIT_BYTES, admin)).toBe(413);
      expect(await post('/api/auth/login', JSON_BODY_LIMIT_BYTES / 2)).toBe(200);
    } finally {
      await close();
    }
  });

  it("answers a large deployment without a valid login with the guard's 401 (the web app's cue to log in again), unparsed", async () => {
    const { send, checked, close } = await serve(false);
    try {
      const unauthorized = { status: 401, body: { statusCode: 401, message: 'Authentication required', error: 'Unauthorized' } };
      // Expired: the token of an admin, signed with the right secret, past its exp.
      expect(await send('/api/deployments', large, await tokenOf('admin', -60))).toEqual(unauthorized);
      expect(await send('/api/deployments', large, `${await tokenOf('admin')}x`)).toEqual(unauthorized);
      expect(await send('/api/deployments', large, `Bearer ${await new JwtService({ secret: 'other' }).signAsync({ sub: 'admin' })}`)).toEqual(unauthorized);
      expect(await send('/api/deployments', large)).toEqual(unauthorized);
      // A valid token whose user is gone, disabled or logged out (the strategy finds no principal).
      expect(await send('/api/deployments', large, await tokenOf('deleted'))).toEqual(unauthorized);
      // Even past the large limit: nothing about the body is told to a caller who is not logged in.
      expect(await send('/api/deployments', 8 * JSON_BODY_LIMIT_BYTES)).toEqual(unauthorized);
      // Only the valid tokens reached the user check.
      expect(checked).toEqual(['deleted']);
    } finally {
      await close();
    }
  });

  it('answers a database failure during the login check as the API answers one (500), not as a missing login or a large body', async () => {
    const { send, close } = await serve(false);
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      expect(await send('/api/deployments', large, await tokenOf('database-down'))).toEqual({
        status: 500,
        body: { statusCode: 500, message: 'Internal server error' },
      });
      expect(logged).toHaveBeenCalledWith(expect.stringContaining('connection to the database lost'));
    } finally {
      logged.mockRestore();
      await close();
    }
  });

  it('lets anyone send a large deployment in development mode', async () => {
    const { post, close } = await serve(true);
    try {
      expect(await post('/api/deployments', large)).toBe(200);
      expect(await post('/api/rollouts', large)).toBe(413);
    } finally {
      await close();
    }
  });
});
