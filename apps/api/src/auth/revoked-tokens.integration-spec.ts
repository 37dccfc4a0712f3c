import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { ObjectId } from 'mongodb';
import { randomBytes } from 'node:crypto';
import { call, seedAccounts, tokenOf, type TestAccounts } from '../../test/accounts';
import { startTestApi, type TestApi } from '../../test/test-api';
import { LegacyRevocationsMigration } from './legacy-revocations.migration';

function jtiOf(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { jti: string }).jti;
}

describe('revoked tokens: stored and found by their token id as _id (real database)', () => {
  let api: TestApi;
  let accounts: TestAccounts;

  beforeAll(async () => {
    api = await startTestApi({ AUTH_MODE: 'jwt', JWT_SECRET: randomBytes(24).toString('hex') });
    accounts = await seedAccounts(api.app);
  });

  afterAll(async () => {
    await api?.close();
  });

  const revocations = () => api.app.get<Connection>(getConnectionToken()).collection('revoked_tokens');

  it('stores a logout under the token id as _id and refuses the token', async () => {
    const token = await tokenOf(api.baseUrl, accounts.admin2);
    expect((await call(api.baseUrl, 'POST', '/api/auth/logout', token)).status).toBe(204);
    expect((await call(api.baseUrl, 'GET', '/api/auth/me', token)).status).toBe(401);
    const stored = await revocations().findOne({ jti: jtiOf(token) });
    expect(stored?._id).toBe(jtiOf(token));
  });

  it('keeps refusing a token logged out by an earlier version (ObjectId _id, unique index on jti)', async () => {
    const token = await tokenOf(api.baseUrl, accounts.user2);
    const jti = jtiOf(token);
    const expiresAt = new Date(Date.now() + 3600_000);
    await revocations().createIndex({ jti: 1 }, { unique: true });
    await revocations().insertOne({ _id: new ObjectId(), jti, expiresAt } as never);
    // A malformed old document is dropped, not copied.
    await revocations().insertOne({ _id: new ObjectId(), jti: 42 } as never);

    const migration = api.app.get(LegacyRevocationsMigration);
    // Two API processes starting together.
    const moved = await Promise.all([migration.migrate(), migration.migrate()]);
    expect(moved.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(1);
    expect(await migration.migrate()).toBe(0);

    expect(await revocations().countDocuments({ _id: { $type: 'objectId' } })).toBe(0);
    expect((await revocations().findOne({ jti }))?._id).toBe(jti);
    expect((await revocations().findOne({ _id: jti as never }))?.['expiresAt']).toEqual(expiresAt);
    expect((await call(api.baseUrl, 'GET', '/api/auth/me', token)).status).toBe(401);
    expect((await call(api.baseUrl, 'GET', '/api/auth/me', await tokenOf(api.baseUrl, accounts.user2))).status).toBe(200);
  });
});
