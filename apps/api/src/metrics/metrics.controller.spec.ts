import type { Response } from 'express';
import type { Gauge } from 'prom-client';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** What the controller sends, through a minimal Express response. */
async function scrape(controller: MetricsController, name?: unknown): Promise<string> {
  let body = '';
  const res = { type: () => res, send: (text: string) => void (body = text) } as unknown as Response;
  await controller.scrape(res, name);
  return body;
}

describe('MetricsController', () => {
  let metrics: MetricsService;
  let controller: MetricsController;
  let counted: jest.Mock;

  beforeEach(() => {
    metrics = new MetricsService();
    controller = new MetricsController(metrics);
    metrics.counter({ name: 'um_things_total', help: 'things' }).inc(3);
    counted = jest.fn();
    const gauge: Gauge = metrics.gauge({
      name: 'um_counted',
      help: 'counted at scrape time',
      collect: () => {
        counted();
        gauge.set(7);
      },
    });
  });

  it('sends every metric without a name', async () => {
    const text = await scrape(controller);
    expect(text).toContain('um_things_total 3');
    expect(text).toContain('um_counted 7');
    expect(text).toContain('um_process_cpu_seconds_total');
  });

  it('sends and collects only the named metrics, skipping unknown and malformed names', async () => {
    const text = await scrape(controller, ['um_things_total', 'um_unknown', { nested: 'x' }]);
    expect(text).toContain('um_things_total 3');
    expect(text).not.toContain('um_counted');
    expect(text).not.toContain('um_process_cpu_seconds_total');
    expect(counted).not.toHaveBeenCalled();
    expect(await scrape(controller, 'um_counted')).toContain('um_counted 7');
  });

  it('skips names an object has of its own (constructor, __proto__) and collects a repeated name once', async () => {
    expect(await scrape(controller, ['constructor', '__proto__', 'toString'])).toBe('');
    const text = await scrape(
      controller,
      Array.from({ length: 20 }, () => 'um_counted'),
    );
    expect(text.match(/^um_counted 7$/gm)).toHaveLength(1);
    expect(counted).toHaveBeenCalledTimes(1);
  });
});
