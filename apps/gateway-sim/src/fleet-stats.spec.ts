import { FleetStats, formatProgressLine } from './fleet-stats';

describe('FleetStats', () => {
  it('counts upgrades and keeps the version histogram in version order', () => {
    const stats = new FleetStats(3, '0.5');
    stats.connected = 3;
    stats.apply({ kind: 'upgraded', gatewayId: 'a', from: '0.5', to: '1.10' });
    stats.apply({ kind: 'upgraded', gatewayId: 'b', from: '0.5', to: '1.9' });
    stats.apply({ kind: 'upgradeFailed', gatewayId: 'c', attempted: '1.9', reported: '0.5' });
    stats.apply({ kind: 'downloaded', gatewayId: 'c', version: '1.9', size: 3 });
    expect(stats.versionHistogram()).toEqual([
      ['0.5', 1],
      ['1.9', 1],
      ['1.10', 1],
    ]);
    expect(formatProgressLine(stats)).toBe('connected 3/3 | versions 0.5:1 1.9:1 1.10:1 | upgrades 2 ok 1 failed | downloads 1');
    stats.apply({ kind: 'upgraded', gatewayId: 'c', from: '0.5', to: '1.9' });
    expect(stats.versionHistogram()).toEqual([
      ['1.9', 2],
      ['1.10', 1],
    ]);
  });

  it('shows failures only when there are some', () => {
    const stats = new FleetStats(2, '0.5');
    stats.connectFailures = 1;
    stats.invalidFrames = 2;
    stats.apply({ kind: 'sendFailed', gatewayId: 'a', type: 'STATUS', error: 'x' });
    expect(formatProgressLine(stats)).toBe(
      'connected 0/2 | versions 0.5:2 | upgrades 0 ok 0 failed | downloads 0 | connect failures 1 | invalid frames 2 | send failures 1',
    );
  });
});
