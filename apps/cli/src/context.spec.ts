import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_API_URL, resolveApiUrl, resolveToken } from './context';
import { configDir, readCredentials, removeCredentials, writeCredentials } from './credentials-store';

describe('credentials and API resolution', () => {
  const configHomes: string[] = [];
  const env = () => {
    const home = mkdtempSync(join(tmpdir(), 'um-cli-spec-'));
    configHomes.push(home);
    return { XDG_CONFIG_HOME: home };
  };

  afterAll(() => configHomes.forEach((home) => rmSync(home, { recursive: true, force: true })));

  it('keeps the login in $XDG_CONFIG_HOME/upgrade-manager, readable by its owner only', () => {
    const e = env();
    const file = writeCredentials(e, { api: 'https://um.example', token: 't1', email: 'a@b.c' });
    expect(file).toBe(join(e.XDG_CONFIG_HOME, 'upgrade-manager', 'credentials.json'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(configDir(e)).mode & 0o777).toBe(0o700);
    expect(readCredentials(e)).toEqual({ api: 'https://um.example', token: 't1', email: 'a@b.c' });
    expect(removeCredentials(e)).toBe(true);
    expect(readCredentials(e)).toBeNull();
    expect(removeCredentials(e)).toBe(false);
  });

  it('takes --api over the environment over the stored login over the default', () => {
    const e = env();
    expect(resolveApiUrl({}, e)).toBe(DEFAULT_API_URL);
    writeCredentials(e, { api: 'https://stored.example', token: 't', email: '' });
    expect(resolveApiUrl({}, e)).toBe('https://stored.example');
    expect(resolveApiUrl({}, { ...e, UPGRADE_MANAGER_API: 'https://env.example/' })).toBe('https://env.example');
    expect(resolveApiUrl({ api: 'https://flag.example' }, { ...e, UPGRADE_MANAGER_API: 'https://env.example' })).toBe('https://flag.example');
  });

  it('sends a stored token only to the API that issued it; the environment token always wins', () => {
    const e = env();
    writeCredentials(e, { api: 'https://stored.example', token: 'stored', email: '' });
    expect(resolveToken('https://stored.example', e)).toBe('stored');
    expect(resolveToken('https://other.example', e)).toBeNull();
    expect(resolveToken('https://other.example', { ...e, UPGRADE_MANAGER_TOKEN: 'ci' })).toBe('ci');
  });
});
