import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsService } from '../src/metrics/metrics.service';
import { startTestApi, type TestApi } from './test-api';

const DASHBOARD = join(__dirname, '../../../config/monitoring/grafana/dashboards/upgrade-manager.json');
// Series Prometheus makes itself for every scrape target.
const PROMETHEUS_SERIES = new Set(['up']);
const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless']);

interface Panel {
  title: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}

/** Metric names in a PromQL expression: identifiers that are not functions, keywords, labels or durations. */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names: string[] = [];
  for (const match of bare.matchAll(/(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const isFunction = /^\s*\(/.test(bare.slice(match.index + match[0].length));
    if (!isFunction && !PROMQL_WORDS.has(match[0])) names.push(match[0]);
  }
  return names;
}

/** The series names a registry exports: histograms and summaries add their suffixes. */
async function exportedNames(api: TestApi): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await api.app.get(MetricsService).registry.getMetricsAsJSON()) {
    names.add(metric.name);
    const type = String(metric.type);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

describe('the Grafana dashboard', () => {
  let testApi: TestApi;

  beforeAll(async () => {
    testApi = await startTestApi({ AUTH_MODE: 'none', HOST: '127.0.0.1' });
  });

  afterAll(async () => {
    await testApi?.close();
  });

  it('parses metric names out of PromQL', () => {
    expect(metricNamesIn('sum by (type) (rate(um_gateway_messages_total{type!="STATUS"}[$__rate_interval]))')).toEqual(['um_gateway_messages_total']);
    expect(metricNamesIn('count(up{job="x"} == 1) / max(um_gateways offset 5m)')).toEqual(['up', 'um_gateways']);
  });

  it('queries only metrics the API exports', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
    const exported = await exportedNames(testApi);
    expect(exported.has('um_gateway_messages_total')).toBe(true);
    const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
    const queries = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));
    expect(queries.length).toBeGreaterThan(10);
    const unknown = queries.flatMap(({ panel, expr }) =>
      metricNamesIn(expr)
        .filter((name) => !exported.has(name) && !PROMETHEUS_SERIES.has(name))
        .map((name) => `${panel}: ${name}`),
    );
    expect(unknown).toEqual([]);
    // Every query reads at least one metric (a typo in a function name would leave none).
    expect(queries.filter(({ expr }) => metricNamesIn(expr).length === 0)).toEqual([]);
  });

  it('shows request latency p50 and p95 by route from the request histogram', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
    const latency = dashboard.panels.filter((panel) =>
      (panel.targets ?? []).some(({ expr }) => metricNamesIn(expr).includes('http_request_duration_seconds_bucket')),
    );
    expect(latency.map((panel) => panel.title)).toEqual(['API request latency p50 / p95, by route']);
    const exprs = (latency[0]?.targets ?? []).map(({ expr }) => expr.replace(/\s+/g, ' '));
    for (const quantile of ['0.5', '0.95']) {
      expect(exprs).toContainEqual(
        expect.stringMatching(new RegExp(`^histogram_quantile\\(${quantile.replace('.', '\\.')}, sum by \\(le, route\\) \\(rate\\(`)),
      );
    }
  });
});
