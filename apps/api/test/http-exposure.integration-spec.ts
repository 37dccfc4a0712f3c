import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedAccounts, tokenOf, type TestAccounts } from './accounts';
import { startTestApi, type TestApi } from './test-api';

const METRICS_TOKEN = randomBytes(24).toString('hex');

describe('what the API exposes without a login (real database)', () => {
  let api: TestApi;
  let accounts: TestAccounts;
  let webDist: string;

  beforeAll(async () => {
    webDist = mkdtempSync(join(tmpdir(), 'um-web-'));
    writeFileSync(join(webDist, 'index.html'), '<!doctype html><html><body><div id="root"></div></body></html>');
    api = await startTestApi({ AUTH_MODE: 'jwt', JWT_SECRET: randomBytes(24).toString('hex'), METRICS_TOKEN, WEB_DIST_DIR: webDist });
    accounts = await seedAccounts(api.app);
  });

  afterAll(async () => {
    await api?.close();
    if (webDist) rmSync(webDist, { recursive: true, force: true });
  });

  const get = (path: string, token?: string) => fetch(`${api.baseUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('sends security headers and a strict Content-Security-Policy with the web app and the API', async () => {
    for (const path of ['/', '/api/health']) {
      const response = await get(path);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('serves /metrics to the scraper token and to super users only', async () => {
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', 'not-the-token')).status).toBe(401);
    const scraped = await get('/metrics', METRICS_TOKEN);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('um_process_cpu_seconds_total');
    expect((await get('/metrics', await tokenOf(api.baseUrl, accounts.super))).status).toBe(200);
    expect((await get('/metrics', await tokenOf(api.baseUrl, accounts.admin2))).status).toBe(403);
  });

  it('serves the API documentation to logged-in users only', async () => {
    expect((await get('/api/docs-json')).status).toBe(401);
    expect((await get('/api/docs')).status).toBe(401);
    const token = await tokenOf(api.baseUrl, accounts.user2);
    const document = await get('/api/docs-json', token);
    expect(document.status).toBe(200);
    expect(((await document.json()) as { openapi: string }).openapi).toMatch(/^3\./);
  });
});
