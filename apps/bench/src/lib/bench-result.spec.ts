import { evaluateTargets, missingFields, phasedSummary, renderMarkdown, serverCpuSeconds, type BenchResult, type RolloutResult } from './bench-result';

const MB = 1e6;

function rollout(mode: 'broadcast' | 'list', ratio: number, peakRssBytes = 200 * MB): RolloutResult {
  return {
    mode,
    targets: 1000,
    imageBytes: 1024 ** 2,
    raw: { seconds: 2, deliveredSeconds: 1.5 },
    bare: { seconds: 1, deliveredSeconds: 0.9 },
    product: { seconds: 2 * ratio, deliveredSeconds: 1.8, requestSeconds: 0.1, confirmed: 1000 },
    ratio,
    bareRatio: 2 * ratio,
    resources: {
      bare: { bench: { cpuSeconds: 2, peakRssBytes: 1 } },
      raw: {},
      product: { api: { cpuSeconds: 1.5, peakRssBytes }, broker: { cpuSeconds: 0.5, peakRssBytes: 1 }, bench: { cpuSeconds: 3, peakRssBytes: 1 } },
    },
    serverCpu: { bare: 0.4, raw: 0.5, product: 2 },
    serverCpuRatio: 4,
  };
}

function result(overrides: Partial<BenchResult> = {}): BenchResult {
  return {
    startedAt: '2026-05-14T09:30:00.000Z',
    finishedAt: '2026-05-14T09:31:00.000Z',
    command: 'npm run bench',
    machine: { cpus: 2, cpuModel: 'Test CPU', memoryGiB: 24, node: '20.19.0', platform: 'linux x64' },
    services: { mqtt: 'mqtt://127.0.0.1:1883', database: 'mongodb://127.0.0.1:27017' },
    params: { gateways: 1000, statuses: 10, imageBytes: 1024 ** 2, listGateways: 10_000, listRequests: 200 },
    fleet: { connected: 1000, failed: 0, seconds: 3, firstError: null },
    registered: 1000,
    ingest: {
      messages: 10_000,
      raw: { seconds: 1, rate: 10_000 },
      product: { seconds: 4, rate: 2_500 },
      ratio: 0.25,
      resources: { raw: {}, product: {} },
      serverCpu: { raw: 0.2, product: 0.5 },
      serverCpuRatio: 2.5,
    },
    rollouts: { broadcast: rollout('broadcast', 1.1), list: rollout('list', 1.6, 320 * MB) },
    stagedRollout: null,
    list: {
      gateways: 10_000,
      request: 'GET /api/gateways?x',
      p50Ms: 12.3,
      p95Ms: 20.5,
      latency: { count: 200, p50Ms: 12.3, p95Ms: 20.5, p99Ms: 25, maxMs: 30, meanMs: 13 },
    },
    checks: { invalidFrames: 0, corruptImages: 0, replyErrors: 0 },
    error: null,
    phaseErrors: [],
    notes: ['a note'],
    targets: [],
    ...overrides,
  };
}

describe('evaluateTargets', () => {
  it('marks each target pass or miss', () => {
    const lines = evaluateTargets(result());
    expect(lines.map((line) => [line.name, line.status, line.value])).toEqual([
      ['Rollout ratio to the raw broker (a) broadcast', 'pass', '1.10'],
      ['Rollout ratio to the raw broker (b) list of N', 'miss', '1.60'],
      ['Rollout ratio to the bare fan-out (a) broadcast', 'miss', '2.20'],
      ['Rollout ratio to the bare fan-out (b) list of N', 'miss', '3.20'],
      ['Server CPU ratio (a) broadcast', 'miss', '4.00'],
      ['Server CPU ratio (b) list of N', 'miss', '4.00'],
      ['Ingest ratio', 'miss', '0.25'],
      ['List p95 at 10,000 gateways', 'pass', '20.5 ms'],
      ['API peak RSS during (b)', 'miss', '320 MB'],
      ['10,000 gateways connected, registered, confirmed', 'not measured', '-'],
    ]);
  });

  it('checks the fleet target only in a run of 10,000 gateways', () => {
    const big = result({
      params: { ...result().params, gateways: 10_000 },
      fleet: { connected: 10_000, failed: 0, seconds: 30, firstError: null },
      registered: 10_000,
    });
    big.rollouts = {
      list: { ...rollout('list', 1.2), targets: 10_000, product: { seconds: 2.4, deliveredSeconds: 1.8, requestSeconds: 0.1, confirmed: 10_000 } },
    };
    expect(evaluateTargets(big)[9]).toMatchObject({ status: 'pass', value: '10,000' });
    big.registered = 9_999;
    expect(evaluateTargets(big)[9]).toMatchObject({ status: 'miss', value: '9,999' });
  });

  it('reports what a skipped phase did not measure', () => {
    const lines = evaluateTargets(result({ ingest: null, rollouts: {}, list: null }));
    expect(lines.slice(0, 9).every((line) => line.status === 'not measured')).toBe(true);
  });
});

describe('missingFields', () => {
  it('lists the results fields a run did not fill', () => {
    expect(missingFields(result())).toEqual([]);
    const data = result({ list: null });
    data.rollouts = { broadcast: { ...rollout('broadcast', 1.1), bareRatio: null } };
    expect(missingFields(data)).toEqual([
      'rollouts.list.ratio',
      'rollouts.broadcast.bareRatio',
      'rollouts.list.bareRatio',
      'rollouts.list.serverCpuRatio',
      'list.p50Ms',
      'list.p95Ms',
    ]);
  });

  it('requires the controller CPU and peak RSS of a staged rollout in rollouts.phased', () => {
    const data = result();
    data.stagedRollout = {
      targets: 1000,
      phases: 5,
      imageBytes: 65536,
      seconds: 20,
      confirmed: 1000,
      decided: 1000,
      ticks: 15,
      tickSeconds: 6,
      tickCpuSeconds: 1.5,
      error: null,
      resources: { api: { cpuSeconds: 3, peakRssBytes: 200 * MB } },
    };
    expect(missingFields(data)).toEqual(['rollouts.phased.controllerCpuSeconds', 'rollouts.phased.apiPeakRssBytes']);
    data.rollouts.phased = phasedSummary(data.stagedRollout);
    expect(missingFields(data)).toEqual([]);
    expect(data.rollouts.phased).toMatchObject({ controllerCpuSeconds: 1.5, apiCpuSeconds: 3, apiPeakRssBytes: 200 * MB, finished: true });
  });

  it('accepts no CPU ratio only when the broker measured no CPU at all', () => {
    const data = result();
    data.rollouts = {
      broadcast: { ...rollout('broadcast', 1.1), serverCpu: { raw: 0, product: 0.1 }, serverCpuRatio: null },
      list: { ...rollout('list', 1.1), serverCpu: { raw: 0.1, product: 0.1 }, serverCpuRatio: null },
    };
    expect(missingFields(data)).toEqual(['rollouts.list.serverCpuRatio']);
  });
});

describe('serverCpuSeconds', () => {
  const usage = {
    api: { cpuSeconds: 2, peakRssBytes: 1 },
    database: { cpuSeconds: 1, peakRssBytes: 1 },
    postgresql: { cpuSeconds: 3, peakRssBytes: 1 },
    broker: { cpuSeconds: 0.5, peakRssBytes: 1 },
    bench: { cpuSeconds: 9, peakRssBytes: 1 },
  };

  it('counts the broker alone on the raw side and API, database and broker on the product side', () => {
    expect(serverCpuSeconds(usage, 'raw')).toBe(0.5);
    expect(serverCpuSeconds(usage, 'product')).toBe(6.5);
  });

  it('is null without the broker', () => {
    expect(serverCpuSeconds({ api: usage.api }, 'product')).toBeNull();
  });
});

describe('renderMarkdown', () => {
  it('prints one table row per phase and the targets', () => {
    const data = result();
    data.targets = evaluateTargets(data);
    const markdown = renderMarkdown(data);
    expect(markdown).toContain(
      '| Status ingest, 1,000 × 10 frames | 2,500 msg/s (4.00 s) | 10,000 msg/s (1.00 s) | - | 0.25 (rate) | - | 0.5 / 0.2 (2.50) | - / - |',
    );
    expect(markdown).toContain(
      '| Rollout (a) all, broadcast, 1 MiB | 2.20 s (delivered 1.80 s) | 2.00 s (delivered 1.50 s) | 1.00 s (delivered 0.90 s) | 1.10 (time) | 2.20 (time) | 2.0 / 0.5 (4.00); bare 0.4 | 3.0 / - / 2.0 | API 200 MB peak, 1.5 CPU s; broker 0.5 CPU s; bench 3.0 CPU s |',
    );
    expect(markdown).toContain('| Rollout (b) list of 1,000 ids, 1 MiB |');
    expect(markdown).toContain('p50 12.3 ms, p95 20.5 ms');
    expect(markdown).toContain('- MISS: Ingest ratio ≥ 0.5: 0.25');
    expect(markdown).toContain('Targets:');
    expect(markdown).not.toContain('Stopped early');
  });

  it('shows raw numbers alone when the product was not measured', () => {
    const data = result({ list: null });
    const ingest = data.ingest;
    if (ingest)
      Object.assign(ingest, {
        product: null,
        ratio: null,
        resources: { raw: {}, product: null },
        serverCpu: { raw: 0.2, product: null },
        serverCpuRatio: null,
      });
    data.rollouts = {
      broadcast: {
        ...rollout('broadcast', 1),
        product: null,
        ratio: null,
        bare: null,
        bareRatio: null,
        resources: { bare: null, raw: {}, product: null },
        serverCpu: { raw: 0.5, product: null },
        serverCpuRatio: null,
      },
    };
    const markdown = renderMarkdown(data);
    expect(markdown).toContain('| Status ingest, 1,000 × 10 frames | - | 10,000 msg/s (1.00 s) | - | - | - | - | - / - | - |');
    expect(markdown).toContain('| Rollout (a) all, broadcast, 1 MiB | - | 2.00 s (delivered 1.50 s) | - | - | - | - | - / - / - | - |');
    expect(evaluateTargets(data)[0]?.status).toBe('not measured');
  });

  it('says when the sizes differ from the targets and when the run stopped early', () => {
    const markdown = renderMarkdown(
      result({ params: { ...result().params, gateways: 20, imageBytes: 65536 }, error: 'boom', phaseErrors: ['product ingest: late'] }),
    );
    expect(markdown).toContain('**Failed:** product ingest: late');
    expect(markdown).toContain('this run used other sizes');
    expect(markdown).toContain('S=64 KiB');
    expect(markdown).toContain('**Stopped early:** boom');
  });
});
