import { renderScaleOut } from './scale-out-result';

describe('renderScaleOut', () => {
  it('shows each ratio with several processes next to the one with one', () => {
    const lines = renderScaleOut({
      apiInstances: 2,
      ingest: { seconds: 4, ratio: 0.2, oneProcessRatio: 0.25, serverCpuSeconds: 5.04, gateways: 300, atLast: 297 },
      rollouts: { list: { seconds: 8, ratio: 1.6, oneProcessRatio: null, serverCpuSeconds: 3 } },
    });
    expect(lines).toContain('| Status ingest | 0.25 | 0.20 (4.00 s) | rate to raw: higher is better | 5.0 |');
    expect(lines).toContain('| Rollout (b) list of N ids | - | 1.60 (8.00 s) | time to raw: lower is better | 3.0 |');
    expect(lines.some((line) => line.startsWith('| Rollout (a)'))).toBe(false);
    expect(lines.at(-1)).toMatch(/^Status ingest with 2 processes: 297 of 300 gateways stored the Status they sent last/);
  });
});
