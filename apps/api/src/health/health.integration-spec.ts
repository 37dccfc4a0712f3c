import { randomBytes } from 'node:crypto';
import { startTestApi, eventually, type TestApi } from '../../test/test-api';

const METRICS_TOKEN = randomBytes(16).toString('hex');

describe('GET /api/health (real broker and database)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ METRICS_TOKEN });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('reports mongo and mqtt up, and which API process answered', async () => {
    const response = await eventually(async () => {
      const answer = await fetch(`${api.baseUrl}/api/health`);
      expect(answer.status).toBe(200);
      return answer;
    });
    expect(await response.json()).toEqual({ status: 'ok', mongo: 'up', mqtt: 'up' });
    expect(response.headers.get('x-api-instance')).toMatch(/^[A-Za-z0-9_.-]+$/);
  });

  it('serves Prometheus metrics to the scraper token', async () => {
    const response = await fetch(`${api.baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('um_process_cpu_seconds_total');
  });

  it('times HTTP requests by route pattern, method and status', async () => {
    await fetch(`${api.baseUrl}/api/health`);
    const missing = await fetch(`${api.baseUrl}/api/no-such-route/12345`);
    expect(missing.status).toBe(404);
    const text = await (await fetch(`${api.baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/api\/health",status="200"\} [1-9]/);
    // An unknown path counts under a pattern (the web app's catch-all, or "unmatched"), never under its URL.
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="[^"]+",status="404"\} [1-9]/);
    expect(text).not.toContain('no-such-route');
  });
});
