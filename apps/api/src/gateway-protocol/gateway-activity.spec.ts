import { activityWrites } from './gateway-activity-writes';
import { mergeActivity, receivedStatus, statusSentAt, type GatewayActivity } from './gateway-activity';

const t = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
const status = (version: string, at: Date, lastUpgradeAt: number | null = 1764190000123, sentAt = at) => ({
  companyId: '2',
  version,
  lastUpgradeAt,
  receivedAt: at,
  sentAt,
});

describe('gateway activity', () => {
  it('keeps every field of a received Status, and no protocol when the gateway sent none', () => {
    const v1 = { companyId: '2', version: '1.0', lastUpgradeAt: null };
    const v2 = { companyId: '3', version: '2.0', lastUpgradeAt: 1764190000123, protocol: 2 };
    for (const sent of [v1, v2]) expect(receivedStatus(sent, t(2), t(1))).toStrictEqual({ ...sent, receivedAt: t(2), sentAt: t(1) });
    expect(Object.keys(receivedStatus(v1, t(2), t(1)))).not.toContain('protocol');
  });

  it('keeps the latest Status and the latest liveness when coalescing', () => {
    const first: GatewayActivity = { status: status('0.5', t(1)), lastSeenAt: t(1) };
    const request: GatewayActivity = { status: null, lastSeenAt: t(3) };
    const second: GatewayActivity = { status: status('1.0', t(2)), lastSeenAt: t(2) };
    expect(mergeActivity(first, request)).toEqual({ status: first.status, lastSeenAt: t(3) });
    expect(mergeActivity(mergeActivity(first, request), second)).toEqual({ status: second.status, lastSeenAt: t(3) });
  });

  it('keeps the Status sent last when an older one arrives after it, and the later arrival of one second', () => {
    const newer: GatewayActivity = { status: status('1.0', t(4), null, t(2)), lastSeenAt: t(4) };
    const older: GatewayActivity = { status: status('0.5', t(5), null, t(1)), lastSeenAt: t(5) };
    expect(mergeActivity(newer, older)).toEqual({ status: newer.status, lastSeenAt: t(5) });
    const sameSecond: GatewayActivity = { status: status('1.1', t(6), null, t(2)), lastSeenAt: t(6) };
    expect(mergeActivity(newer, sameSecond).status).toBe(sameSecond.status);
  });

  it('dates a Status by its frame, but never later than received nor by a clock that is far behind', () => {
    const received = new Date(Date.UTC(2026, 0, 1, 0, 0, 10, 700));
    const seconds = received.getTime() / 1000;
    expect(statusSentAt(Math.floor(seconds) - 3, received)).toEqual(t(7));
    expect(statusSentAt(Math.floor(seconds) + 600, received)).toEqual(t(10));
    // A gateway that lost its clock after a power cut: dated when received.
    expect(statusSentAt(0, received)).toEqual(t(10));
  });

  it('writes the Status of gateways that sent one and touches the others with one time', () => {
    const writes = activityWrites(
      new Map<string, GatewayActivity>([
        ['gw-1', { status: status('1.0', t(5), 1764190000123, t(4)), lastSeenAt: t(6) }],
        ['gw-2', { status: null, lastSeenAt: t(9) }],
        ['gw-3', { status: { ...status('0.5', t(8), null), companyId: '3' }, lastSeenAt: t(8) }],
        ['gw-4', { status: null, lastSeenAt: t(7) }],
      ]),
    );
    expect(writes.companyIds).toEqual(['2', '3']);
    expect(writes.statusReports).toEqual([
      { gatewayId: 'gw-1', version: '1.0', receivedAt: t(5), sentAt: t(4) },
      { gatewayId: 'gw-3', version: '0.5', receivedAt: t(8), sentAt: t(8) },
    ]);
    expect(writes.statuses).toEqual([
      { gatewayId: 'gw-1', companyId: '2', version: '1.0', protocol: null, sentAt: t(4), lastSeenAt: t(6), lastUpgradeAt: new Date(1764190000123) },
      { gatewayId: 'gw-3', companyId: '3', version: '0.5', protocol: null, sentAt: t(8), lastSeenAt: t(8), lastUpgradeAt: null },
    ]);
    // The earliest liveness of the batch, never later than a gateway was heard.
    expect(writes.touch).toEqual({ gatewayIds: ['gw-2', 'gw-4'], seenAt: t(7) });
    expect(activityWrites(new Map([['gw-1', { status: status('1.0', t(5)), lastSeenAt: t(5) }]])).touch).toBeNull();
  });
});
