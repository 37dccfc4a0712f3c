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

  it('reports mongo and mqtt up', async () => {
    const body = await eventually(async () => {
      const response = await fetch(`${api.baseUrl}/api/health`);
      expect(response.status).toBe(200);
      return response.json();
    });
    expect(body).toEqual({ status: 'ok', mongo: 'up', mqtt: 'up' });
  });

  it('serves Prometheus metrics to the scraper token', async () => {
    const response = await fetch(`${api.baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('um_process_cpu_seconds_total');
  });
});
