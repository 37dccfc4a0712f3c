import { getConnectionToken } from '@nestjs/mongoose';
import type { LoginResponseDto, UserDto } from '@upgrade-manager/dto';
import type { Connection } from 'mongoose';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { call, login, seedAccounts, tokenOf, type TestAccounts } from '../../test/accounts';
import { startTestApi, type TestApi } from '../../test/test-api';
import { INVALID_CREDENTIALS_MESSAGE } from './auth.service';

describe('auth: login, profile, logout, throttling (real database)', () => {
  let api: TestApi;
  let accounts: TestAccounts;
  const logged: string[] = [];
  const spies: jest.SpyInstance[] = [];
  const passwordsUsed = new Set<string>();
  // Token signatures that must never reach the logs (the SSE stream sends its token in the URL).
  const secretsUsed = new Set<string>();

  beforeAll(async () => {
    // Capture what the logger writes to stdout (through process.stdout or straight to fd 1) to look for passwords.
    Object.defineProperty(process.stdout, 'isTTY', { value: false, configurable: true });
    const text = (data: unknown) => (typeof data === 'string' ? data : Buffer.from(data as Uint8Array).toString('utf8'));
    const size = (data: unknown) => (typeof data === 'string' ? Buffer.byteLength(data) : (data as Uint8Array).byteLength);
    const realWriteSync = fs.writeSync;
    const realWrite = fs.write;
    spies.push(
      jest.spyOn(process.stdout, 'write').mockImplementation(((data: unknown, ...rest: unknown[]) => {
        logged.push(text(data));
        const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }) as typeof process.stdout.write),
      jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, data: unknown, ...rest: unknown[]) => {
        if (fd !== 1) return (realWriteSync as (...args: unknown[]) => number)(fd, data, ...rest);
        logged.push(text(data));
        return size(data);
      }) as typeof fs.writeSync),
      jest.spyOn(fs, 'write').mockImplementation(((fd: number, data: unknown, ...rest: unknown[]) => {
        if (fd !== 1) return (realWrite as (...args: unknown[]) => void)(fd, data, ...rest);
        logged.push(text(data));
        const callback = rest.find((arg) => typeof arg === 'function') as ((error: null, written: number) => void) | undefined;
        process.nextTick(() => callback?.(null, size(data)));
      }) as typeof fs.write),
    );
    api = await startTestApi({ AUTH_MODE: 'jwt', JWT_SECRET: randomBytes(24).toString('hex'), LOG_LEVEL: 'debug' });
    accounts = await seedAccounts(api.app);
    for (const account of Object.values(accounts)) passwordsUsed.add(account.password);
  });

  afterAll(async () => {
    await api?.close();
    for (const spy of spies) spy.mockRestore();
  });

  it('logs in with email and password and returns the token and the user', async () => {
    const response = await login(api.baseUrl, accounts.admin2.email.toUpperCase(), accounts.admin2.password);
    expect(response.status).toBe(200);
    const body = (await response.json()) as LoginResponseDto;
    expect(body.user).toEqual({ id: accounts.admin2.id, email: accounts.admin2.email, name: 'admin2', role: 'admin', companyId: '2' });
    const me = await call(api.baseUrl, 'GET', '/api/auth/me', body.accessToken);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: accounts.admin2.id, role: 'admin', companyId: '2', enabled: true });
    expect(me.body).not.toHaveProperty('passwordHash');
  });

  it('answers 401 with one message for an unknown email, a wrong password and a disabled user', async () => {
    const superToken = await tokenOf(api.baseUrl, accounts.super);
    const disabled = await call(api.baseUrl, 'DELETE', `/api/users/${accounts.user3.id}`, superToken);
    expect(disabled.status).toBe(200);
    passwordsUsed.add('definitely-wrong-password');
    const answers = await Promise.all([
      login(api.baseUrl, 'nobody@nowhere.test', 'definitely-wrong-password'),
      login(api.baseUrl, accounts.user2.email, 'definitely-wrong-password'),
      login(api.baseUrl, accounts.user3.email, accounts.user3.password),
    ]);
    const bodies = await Promise.all(answers.map((answer) => answer.json() as Promise<{ message: string }>));
    expect(answers.map((answer) => answer.status)).toEqual([401, 401, 401]);
    expect(new Set(bodies.map((body) => body.message))).toEqual(new Set([INVALID_CREDENTIALS_MESSAGE]));
  });

  it('refuses requests without a token, with a forged one, or of a user disabled since login', async () => {
    expect((await call(api.baseUrl, 'GET', '/api/auth/me')).status).toBe(401);
    expect((await call(api.baseUrl, 'GET', '/api/auth/me', 'not.a.token')).status).toBe(401);
    const token = await tokenOf(api.baseUrl, accounts.user2);
    const [header, payload] = token.split('.');
    expect((await call(api.baseUrl, 'GET', '/api/auth/me', `${header}.${payload}.${'A'.repeat(43)}`)).status).toBe(401);

    const admin3Token = await tokenOf(api.baseUrl, accounts.admin3);
    const superToken = await tokenOf(api.baseUrl, accounts.super);
    expect((await call(api.baseUrl, 'DELETE', `/api/users/${accounts.admin3.id}`, superToken)).status).toBe(200);
    expect((await call(api.baseUrl, 'GET', '/api/auth/me', admin3Token)).status).toBe(401);
    expect((await call(api.baseUrl, 'PATCH', `/api/users/${accounts.admin3.id}`, superToken, { enabled: true })).status).toBe(200);
    expect((await call(api.baseUrl, 'GET', '/api/auth/me', admin3Token)).status).toBe(200);
  });

  it('changes the own name, and the password only with the current one', async () => {
    const token = await tokenOf(api.baseUrl, accounts.user2);
    const renamed = await call(api.baseUrl, 'PATCH', '/api/auth/me', token, { name: 'Renamed' });
    expect(renamed.status).toBe(200);
    expect((renamed.body as UserDto).name).toBe('Renamed');

    const newPassword = `new-${randomBytes(8).toString('hex')}`;
    passwordsUsed.add(newPassword);
    expect((await call(api.baseUrl, 'PATCH', '/api/auth/me', token, { password: newPassword })).status).toBe(400);
    expect((await call(api.baseUrl, 'PATCH', '/api/auth/me', token, { password: newPassword, currentPassword: 'wrong-password' })).status).toBe(403);
    expect((await call(api.baseUrl, 'PATCH', '/api/auth/me', token, { password: newPassword, currentPassword: accounts.user2.password })).status).toBe(200);
    expect((await login(api.baseUrl, accounts.user2.email, accounts.user2.password)).status).toBe(401);
    expect((await login(api.baseUrl, accounts.user2.email, newPassword)).status).toBe(200);
    accounts.user2.password = newPassword;

    // Role and company are not part of the profile.
    expect((await call(api.baseUrl, 'PATCH', '/api/auth/me', token, { role: 'super' })).status).toBe(400);
  });

  it('refuses a token after logout (the revocation is kept in the database)', async () => {
    const token = await tokenOf(api.baseUrl, accounts.admin2);
    const other = await tokenOf(api.baseUrl, accounts.admin2);
    expect((await call(api.baseUrl, 'POST', '/api/auth/logout', token)).status).toBe(204);
    expect((await call(api.baseUrl, 'GET', '/api/auth/me', token)).status).toBe(401);
    expect((await call(api.baseUrl, 'POST', '/api/auth/logout', token)).status).toBe(401);
    expect((await call(api.baseUrl, 'GET', '/api/auth/me', other)).status).toBe(200);

    const jti = (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { jti: string }).jti;
    const revoked = await api.app.get<Connection>(getConnectionToken()).collection('revoked_tokens').findOne({ jti });
    expect(revoked?.['expiresAt']).toBeInstanceOf(Date);

    const superToken = await tokenOf(api.baseUrl, accounts.super);
    const events = await call(api.baseUrl, 'GET', `/api/events?userId=${accounts.admin2.id}`, superToken);
    const types = (events.body as { items: { type: string }[] }).items.map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['user.logged-in', 'user.logged-out']));
    expect(types[0]).toBe('user.logged-out');
  });

  it('takes the token from ?access_token= on GET /api/stream only', async () => {
    const token = await tokenOf(api.baseUrl, accounts.user2);
    secretsUsed.add(token.split('.')[2]);
    const controller = new AbortController();
    const stream = await fetch(`${api.baseUrl}/api/stream?access_token=${token}`, { signal: controller.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    controller.abort();
    expect((await fetch(`${api.baseUrl}/api/stream`)).status).toBe(401);
    expect((await fetch(`${api.baseUrl}/api/auth/me?access_token=${token}`)).status).toBe(401);
  });

  it('throttles an account after ten wrong passwords in a row, even for the right password', async () => {
    passwordsUsed.add('wrong-guess');
    for (let attempt = 1; attempt <= 10; attempt++) {
      expect((await login(api.baseUrl, accounts.admin3.email, 'wrong-guess')).status).toBe(401);
    }
    const locked = await login(api.baseUrl, accounts.admin3.email, accounts.admin3.password);
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    // Other accounts from the same address still log in.
    expect((await login(api.baseUrl, accounts.super.email, accounts.super.password)).status).toBe(200);
  });

  it('never stores or logs a password in clear, nor a token', async () => {
    const connection = api.app.get<Connection>(getConnectionToken());
    const collections = await connection.db!.listCollections().toArray();
    let dump = '';
    for (const { name } of collections) dump += JSON.stringify(await connection.collection(name).find().toArray());
    const users = await connection.collection('users').find().toArray();
    expect(users.length).toBeGreaterThanOrEqual(5);
    for (const user of users) expect(user['passwordHash']).toMatch(/^\$argon2id\$/);

    const logs = logged.join('');
    expect(logs).toContain('Failed login for');
    expect(logs).toContain('/api/auth/login');
    for (const password of passwordsUsed) {
      expect(dump).not.toContain(password);
      expect(logs).not.toContain(password);
    }
    expect(logs).toContain('access_token=[Redacted]');
    for (const secret of secretsUsed) expect(logs).not.toContain(secret);
  });
});
