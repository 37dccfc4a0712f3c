import { encodeFrame, statusPayload, TOCLOUD_SUBSCRIPTIONS, versionRequestPayload } from '@upgrade-manager/frame-codec';
import { encodeChunkRequest, encodeProgress, TOCLOUD_V2_SUBSCRIPTIONS } from '@upgrade-manager/protocol-v2';
import { FrameClockWatch } from '../gateway-admission/frame-clock-watch';
import type { GatewayRequestGate } from '../gateway-admission/gateway-request-gate';
import { PROGRESS_BURST, type DeliveryProgressService } from '../image-delivery/delivery-progress.service';
import { CHUNK_REQUEST_BURST, type ImageDeliveryService } from '../image-delivery/image-delivery.service';
import { MetricsService } from '../metrics/metrics.service';
import type { RawFrameMqttServer } from '../mqtt/raw-frame-mqtt.server';
import { GatewayMessageRouter } from './gateway-message-router';
import type { GatewayProtocolService } from './gateway-protocol.service';
import type { GatewayRoute } from './gateway-route';
import { CHUNK_REQUEST_RATE_LIMIT, PROGRESS_PACE, requestRateLimit, STATUS_PACE } from './gateway-routes';

const REQUESTS_PER_MINUTE = 30;

function setup({ serve = true } = {}) {
  const calls: unknown[][] = [];
  const record =
    (name: string, result = true) =>
    async (...args: unknown[]) => {
      calls.push([name, ...args]);
      return result;
    };
  const protocol = {
    status: record('status'),
    latestVersionRequested: record('latestVersionRequested'),
    availableVersionsRequested: record('availableVersionsRequested'),
    upgradeRequested: record('upgradeRequested'),
  } as unknown as GatewayProtocolService;
  const delivery = { receiveChunkRequest: record('receiveChunkRequest') } as unknown as ImageDeliveryService;
  const progress = { receive: record('progress') } as unknown as DeliveryProgressService;
  const gate = { mayServe: async () => serve, requestsPerMinute: REQUESTS_PER_MINUTE } as unknown as GatewayRequestGate;
  const handlers = new Map<string, unknown>();
  const subscriber = {
    getHandlers: () => handlers,
    addDirectRoute: (pattern: string, handler: unknown) => handlers.set(pattern, handler),
  } as unknown as RawFrameMqttServer;
  const metrics = new MetricsService();
  const router = new GatewayMessageRouter(subscriber, gate, new FrameClockWatch(metrics), protocol, delivery, progress, metrics);
  const routeOf = (type: string): GatewayRoute => {
    const found = router.routes.find((route) => route.type === type);
    if (!found) throw new Error(`no route for ${type}`);
    return found;
  };
  const rejected = async (reason: string) =>
    (await metrics.registry.getSingleMetric('um_frames_rejected_total')?.get())?.values.find((v) => v.labels['reason'] === reason)?.value ?? 0;
  const refused = async (name: string, reason: string) =>
    (await metrics.registry.getSingleMetric(name)?.get())?.values.find((v) => v.labels['reason'] === reason)?.value ?? 0;
  return { router, calls, handlers, routeOf, rejected, refused };
}

describe('GatewayMessageRouter', () => {
  it('has one route per gateway → cloud topic of both protocols, and registers each with the MQTT server', () => {
    const { router, handlers } = setup();
    const expected = [...Object.values(TOCLOUD_SUBSCRIPTIONS), ...Object.values(TOCLOUD_V2_SUBSCRIPTIONS)];
    expect(router.routes.map((route) => route.pattern).sort()).toEqual([...expected].sort());
    expect([...handlers.keys()].sort()).toEqual([...expected].sort());
  });

  it('hands each handler its message decoded, with the gateway id from the topic', async () => {
    const { router, calls, routeOf } = setup();
    const status = encodeFrame(statusPayload({ companyId: '2', version: '1.0', timestamp: null }), 1_800_000_000);
    expect(await router.receive(routeOf('STATUS'), 'TOCLOUD/STATUS/gw-1', status)).toBe(true);
    await router.receive(routeOf('REQUEST_UPGRADE'), 'TOCLOUD/REQUEST_UPGRADE/gw-2', encodeFrame(versionRequestPayload('2.0')));
    await router.receive(routeOf('REQUEST_LATEST_VERSION'), 'TOCLOUD/REQUEST_LATEST_VERSION/gw-3', encodeFrame(Buffer.from('xyz')));
    const report = { deploymentId: 'dep-1', state: 'downloading', bytes: 10, reason: null } as const;
    await router.receive(routeOf('UPGRADE_PROGRESS'), 'TOCLOUD/UPGRADE_PROGRESS/gw-4', encodeFrame(encodeProgress(report)));
    expect(calls).toEqual([
      ['status', 'gw-1', { status: { companyId: '2', version: '1.0', lastUpgradeAt: null }, timestampSeconds: 1_800_000_000 }],
      ['upgradeRequested', 'gw-2', '2.0'],
      ['latestVersionRequested', 'gw-3', { unexpectedBytes: 3 }],
      ['progress', 'gw-4', report],
    ]);
  });

  it('counts and drops what it cannot decode, and passes on that a message was not stored', async () => {
    const { router, calls, routeOf, rejected } = setup();
    const frame = encodeFrame(Buffer.from('{"version":"1.0"}'));
    expect(await router.receive(routeOf('STATUS'), 'TOCLOUD/STATUS/gw-1', frame)).toBe(true);
    expect(await rejected('MISSING_FIELD')).toBe(1);
    const corrupt = Buffer.from(frame);
    corrupt[corrupt.length - 1] ^= 0xff;
    await router.receive(routeOf('STATUS'), 'TOCLOUD/STATUS/gw-1', corrupt);
    expect(await rejected('CRC_MISMATCH')).toBe(1);
    await router.receive(routeOf('STATUS'), `TOCLOUD/STATUS/${'x'.repeat(300)}`, frame);
    expect(await rejected('INVALID_TOPIC')).toBe(1);
    expect(calls).toEqual([]);
  });

  it('refuses a frame larger than its type can be before reading it, and counts it', async () => {
    const { router, calls, routeOf, rejected } = setup();
    // The broker passes packets up to MAX_IMAGE_BYTES; a blank request of that kind was answered after a CRC and a blank check over every byte.
    const blank = encodeFrame(Buffer.alloc(64 * 1024 + 1, 0x20));
    expect(await router.receive(routeOf('REQUEST_LATEST_VERSION'), 'TOCLOUD/REQUEST_LATEST_VERSION/gw-1', blank)).toBe(true);
    expect(await rejected('TOO_LARGE')).toBe(1);
    const progress = encodeFrame(Buffer.alloc(4097, 0x20));
    await router.receive(routeOf('UPGRADE_PROGRESS'), 'TOCLOUD/UPGRADE_PROGRESS/gw-1', progress);
    expect(await rejected('V2_TOO_LARGE')).toBe(1);
    // Largest valid sizes still go through.
    await router.receive(routeOf('REQUEST_LATEST_VERSION'), 'TOCLOUD/REQUEST_LATEST_VERSION/gw-2', encodeFrame(Buffer.alloc(64 * 1024, 0x20)));
    expect(calls).toEqual([['latestVersionRequested', 'gw-2', { unexpectedBytes: 0 }]]);
  });

  it('answers requests only for gateways it may serve; a Status is always taken', async () => {
    const { router, calls, routeOf } = setup({ serve: false });
    await router.receive(routeOf('REQUEST_AVAILABLE_VERSIONS'), 'TOCLOUD/REQUEST_AVAILABLE_VERSIONS/gw-1', encodeFrame(Buffer.from(' ')));
    await router.receive(routeOf('STATUS'), 'TOCLOUD/STATUS/gw-1', encodeFrame(statusPayload({ companyId: '2', version: '1.0', timestamp: null })));
    expect(calls.map(([name]) => name)).toEqual(['status']);
  });

  it("paces each gateway's Statuses before reading them: over the burst, a corrupt frame is counted as rate-limited, not checked", async () => {
    // The clock stands still: no token comes back during the test.
    jest.useFakeTimers();
    const { router, calls, routeOf, rejected } = setup();
    const status = encodeFrame(statusPayload({ companyId: '2', version: '1.0', timestamp: null }));
    const corrupt = Buffer.from(status);
    corrupt[corrupt.length - 1] ^= 0xff;
    for (let index = 0; index < STATUS_PACE.burst; index++) await router.receive(routeOf('STATUS'), 'TOCLOUD/STATUS/gw-1', status);
    // The first waits for a token (unread), the second replaces it.
    void router.receive(routeOf('STATUS'), 'TOCLOUD/STATUS/gw-1', corrupt);
    void router.receive(routeOf('STATUS'), 'TOCLOUD/STATUS/gw-1', corrupt);
    expect(await rejected('RATE_LIMITED')).toBe(1);
    expect(await rejected('CRC_MISMATCH')).toBe(0);
    // Another gateway has its own burst.
    await router.receive(routeOf('STATUS'), 'TOCLOUD/STATUS/gw-2', status);
    expect(calls.map(([name, gatewayId]) => `${name} ${gatewayId}`)).toEqual([...Array<string>(STATUS_PACE.burst).fill('status gw-1'), 'status gw-2']);
    router.onApplicationShutdown();
    jest.useRealTimers();
  });

  it("over the rate, a gateway's Status sent earlier (e.g. taken from a dead process's session) does not replace the later one waiting", async () => {
    jest.useFakeTimers({ now: 1_800_000_000_000 });
    const { router, calls, routeOf, rejected } = setup();
    const sentAt = 1_800_000_000;
    const statusOf = (version: string, seconds: number) => encodeFrame(statusPayload({ companyId: '2', version, timestamp: null }), seconds);
    for (let index = 0; index < STATUS_PACE.burst; index++) await router.receive(routeOf('STATUS'), 'TOCLOUD/STATUS/gw-1', statusOf('1.0', sentAt - 60));
    const confirmation = router.receive(routeOf('STATUS'), 'TOCLOUD/STATUS/gw-1', statusOf('2.0', sentAt));
    const older = router.receive(routeOf('STATUS'), 'TOCLOUD/STATUS/gw-1', statusOf('1.0', sentAt - 30));
    await jest.advanceTimersByTimeAsync(2000);
    expect(await Promise.all([confirmation, older])).toEqual([true, true]);
    expect(await rejected('RATE_LIMITED')).toBe(1);
    const versions = calls.map(([, , message]) => (message as { status: { version: string } }).status.version);
    expect(versions.slice(STATUS_PACE.burst)).toEqual(['2.0']);
    router.onApplicationShutdown();
    jest.useRealTimers();
  });

  it("over the rate, a Status dated in the future (a gateway's clock error) counts as sent now: the gateway's next Status replaces it", async () => {
    jest.useFakeTimers({ now: 1_800_000_000_000 });
    const { router, calls, routeOf } = setup();
    const now = 1_800_000_000;
    const statusOf = (version: string, seconds: number) => encodeFrame(statusPayload({ companyId: '2', version, timestamp: null }), seconds);
    for (let index = 0; index < STATUS_PACE.burst; index++) await router.receive(routeOf('STATUS'), 'TOCLOUD/STATUS/gw-1', statusOf('1.0', now));
    const glitch = router.receive(routeOf('STATUS'), 'TOCLOUD/STATUS/gw-1', statusOf('1.1', now + 86_400));
    const corrected = router.receive(routeOf('STATUS'), 'TOCLOUD/STATUS/gw-1', statusOf('2.0', now));
    await jest.advanceTimersByTimeAsync(2000);
    expect(await Promise.all([glitch, corrected])).toEqual([true, true]);
    const versions = calls.map(([, , message]) => (message as { status: { version: string } }).status.version);
    expect(versions.slice(STATUS_PACE.burst)).toEqual(['2.0']);
    router.onApplicationShutdown();
    jest.useRealTimers();
  });

  const progressFrame = (state: 'downloading' | 'succeeded') => encodeFrame(encodeProgress({ deploymentId: 'dep-1', state, bytes: 10, reason: null }));
  const limited = [
    {
      type: 'REQUEST_UPGRADE',
      frame: encodeFrame(versionRequestPayload('2.0')),
      burst: requestRateLimit(REQUESTS_PER_MINUTE).burst,
      counter: 'um_gateway_requests_refused_total',
    },
    {
      type: 'REQUEST_LATEST_VERSION',
      frame: encodeFrame(Buffer.from(' ')),
      burst: requestRateLimit(REQUESTS_PER_MINUTE).burst,
      counter: 'um_gateway_requests_refused_total',
    },
    {
      type: 'REQUEST_CHUNKS',
      frame: encodeFrame(encodeChunkRequest({ sha256: 'a'.repeat(64), ranges: [{ first: 0, count: 1 }] })),
      burst: CHUNK_REQUEST_RATE_LIMIT.burst,
      counter: 'um_v2_chunk_requests_refused_total',
    },
  ];

  it.each(limited)(
    "drops a gateway's $type frames over their rate before reading them: a corrupt one is counted as rate-limited, not checked",
    async ({ type, frame, burst, counter }) => {
      // The clock stands still: no token comes back during the test.
      jest.useFakeTimers();
      const { router, calls, routeOf, rejected, refused } = setup();
      const route = routeOf(type);
      const corrupt = Buffer.from(frame);
      corrupt[corrupt.length - 1] ^= 0xff;
      for (let index = 0; index < burst; index++) expect(await router.receive(route, `TOCLOUD/${type}/gw-1`, frame)).toBe(true);
      expect(await router.receive(route, `TOCLOUD/${type}/gw-1`, corrupt)).toBe(true);
      expect(await refused(counter, 'rate-limited')).toBe(1);
      expect(await rejected('CRC_MISMATCH')).toBe(0);
      // Another gateway has its own burst.
      await router.receive(route, `TOCLOUD/${type}/gw-2`, frame);
      expect(calls.map(([, gatewayId]) => gatewayId)).toEqual([...Array<string>(burst).fill('gw-1'), 'gw-2']);
      jest.useRealTimers();
    },
  );

  it("reads a gateway's three request types out of one bucket, as GatewayRequestGate serves them out of one budget", async () => {
    jest.useFakeTimers();
    const { router, calls, routeOf, refused } = setup();
    const { burst } = requestRateLimit(REQUESTS_PER_MINUTE);
    const requests = [
      { type: 'REQUEST_LATEST_VERSION', frame: encodeFrame(Buffer.from(' ')) },
      { type: 'REQUEST_AVAILABLE_VERSIONS', frame: encodeFrame(Buffer.from(' ')) },
      { type: 'REQUEST_UPGRADE', frame: encodeFrame(versionRequestPayload('2.0')) },
    ];
    for (let index = 0; index < 3 * burst; index++) {
      const { type, frame } = requests[index % requests.length];
      await router.receive(routeOf(type), `TOCLOUD/${type}/gw-1`, frame);
    }
    expect(calls).toHaveLength(burst);
    expect(await refused('um_gateway_requests_refused_total', 'rate-limited')).toBe(2 * burst);
    jest.useRealTimers();
  });

  it("reads a gateway's final Progress report that comes last in a backlog over the rate (e.g. from a session that was offline)", async () => {
    jest.useFakeTimers();
    const { router, calls, routeOf, refused } = setup();
    const progress = routeOf('UPGRADE_PROGRESS');
    const backlog = PROGRESS_PACE.burst + 10;
    const received = [...Array<Buffer>(backlog).fill(progressFrame('downloading')), progressFrame('succeeded')].map((frame) =>
      router.receive(progress, 'TOCLOUD/UPGRADE_PROGRESS/gw-1', frame),
    );
    await jest.advanceTimersByTimeAsync(1_000);
    expect(await Promise.all(received)).toEqual(Array<boolean>(backlog + 1).fill(true));
    expect((calls.at(-1)?.[2] as { state: string }).state).toBe('succeeded');
    expect(calls).toHaveLength(PROGRESS_PACE.burst + 1);
    expect(await refused('um_v2_progress_refused_total', 'rate-limited')).toBe(10);
    router.onApplicationShutdown();
    jest.useRealTimers();
  });

  it("never drops before reading what a gateway within its handlers' limits sends: a Progress burst and its final report, a chunk request burst", async () => {
    jest.useFakeTimers();
    const { router, calls, routeOf } = setup();
    const progress = routeOf('UPGRADE_PROGRESS');
    for (let index = 0; index < PROGRESS_BURST; index++) await router.receive(progress, 'TOCLOUD/UPGRADE_PROGRESS/gw-1', progressFrame('downloading'));
    await router.receive(progress, 'TOCLOUD/UPGRADE_PROGRESS/gw-1', progressFrame('succeeded'));
    const chunkRequest = encodeFrame(encodeChunkRequest({ sha256: 'a'.repeat(64), ranges: [{ first: 0, count: 1 }] }));
    for (let index = 0; index < CHUNK_REQUEST_BURST; index++) await router.receive(routeOf('REQUEST_CHUNKS'), 'TOCLOUD/REQUEST_CHUNKS/gw-1', chunkRequest);
    expect(calls.map(([name]) => name)).toEqual([
      ...Array<string>(PROGRESS_BURST + 1).fill('progress'),
      ...Array<string>(CHUNK_REQUEST_BURST).fill('receiveChunkRequest'),
    ]);
    expect((calls[PROGRESS_BURST][2] as { state: string }).state).toBe('succeeded');
    jest.useRealTimers();
  });
});
