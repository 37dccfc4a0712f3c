import type { Model } from 'mongoose';
import { MetricsService } from '../metrics/metrics.service';
import type { Gateway } from './gateway.schema';
import { GATEWAY_COUNT_MAX_AGE_MS, GatewaysMetrics } from './gateways.metrics';
import type { GatewaysService } from './gateways.service';

async function gaugeValue(metrics: MetricsService, name: string): Promise<number | undefined> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  return metric?.values[0]?.value;
}

describe('GatewaysMetrics', () => {
  const onlineSince = new Date('2026-12-01T10:00:00Z');
  let counts: { total: number; online: number } | Error;
  let queries: unknown[];
  let metrics: MetricsService;

  beforeEach(() => {
    counts = { total: 5, online: 3 };
    queries = [];
    const model = {
      countDocuments: (filter: Record<string, unknown>) => {
        queries.push(filter);
        if (counts instanceof Error) return Promise.reject(counts);
        return Promise.resolve('lastSeenAt' in filter ? counts.online : counts.total);
      },
    } as unknown as Model<Gateway>;
    metrics = new MetricsService();
    new GatewaysMetrics(model, { onlineSince: () => onlineSince } as unknown as GatewaysService, metrics);
  });

  it('counts every gateway and the online ones at scrape time', async () => {
    expect(await gaugeValue(metrics, 'um_gateways')).toBe(5);
    expect(await gaugeValue(metrics, 'um_gateways_online')).toBe(3);
    expect(queries).toContainEqual({ lastSeenAt: { $gte: onlineSince } });
  });

  it('reuses recent counts, so close scrapes do not scan the collection again', async () => {
    await metrics.registry.metrics();
    await metrics.registry.metrics();
    expect(queries).toHaveLength(2);
  });

  it('keeps the last figures when the database does not answer, and counts again at the next scrape', async () => {
    const now = jest.spyOn(Date, 'now');
    now.mockReturnValue(1_000_000);
    expect(await gaugeValue(metrics, 'um_gateways_online')).toBe(3);
    counts = new Error('database down');
    now.mockReturnValue(1_000_000 + GATEWAY_COUNT_MAX_AGE_MS + 1);
    expect(await gaugeValue(metrics, 'um_gateways_online')).toBe(3);
    counts = { total: 6, online: 4 };
    expect(await gaugeValue(metrics, 'um_gateways_online')).toBe(4);
    now.mockRestore();
  });
});
