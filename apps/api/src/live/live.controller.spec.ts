import { HttpException } from '@nestjs/common';
import { firstValueFrom, NEVER, Subject, Subscription, take, toArray } from 'rxjs';
import type { Principal } from '../auth/principal';
import type { ClusterBus } from '../cluster/cluster-bus.service';
import { MetricsService } from '../metrics/metrics.service';
import { HEARTBEAT_INTERVAL_MS, LiveController } from './live.controller';
import { LIVE_EVENTS_PER_MESSAGE, LiveEventsService, type LiveEvent } from './live-events.service';
import { LiveStreamSlots, MAX_STREAMS_PER_USER } from './live-stream-slots';
import type { StreamLifetime } from './stream-lifetime';

const admin2: Principal = { userId: 'u2', email: 'a@two.test', role: 'admin', companyId: '2' };
const superUser: Principal = { userId: 's', email: 's@one.test', role: 'super', companyId: '1' };

// The broker's side of the cluster bus, in memory: what is published comes back to its handler.
function loopbackBus(): ClusterBus {
  const handlers = new Map<string, (body: unknown, origin: string) => void>();
  const on = (kind: string, _schema: unknown, handle: (body: unknown, origin: string) => void): void => void handlers.set(kind, handle);
  const publish = async (kind: string, body: unknown): Promise<void> => handlers.get(kind)?.(body, 'test');
  return { on, publish } as unknown as ClusterBus;
}

describe('LiveController', () => {
  let live: LiveEventsService;
  let controller: LiveController;
  let metrics: MetricsService;
  let slots: LiveStreamSlots;
  const open = () => new AbortController().signal;

  beforeEach(() => {
    live = new LiveEventsService(loopbackBus());
    live.onModuleInit();
    metrics = new MetricsService();
    slots = new LiveStreamSlots(metrics);
    controller = new LiveController(live, { endOf: () => NEVER } as unknown as StreamLifetime, slots);
  });

  it('opens with a comment, then forwards only events of the caller’s company and global ones', async () => {
    const received = firstValueFrom(controller.stream(admin2, open()).pipe(take(3), toArray()));
    live.publish({ type: 'gateways.tagged', companyId: '3', data: { add: ['other'], remove: [] } });
    live.publish({ type: 'gateways.tagged', companyId: '2', data: { add: ['mine'], remove: [] } });
    live.publish({ type: 'version.removed', companyId: null, data: { version: '1.1', latest: null } });
    expect(await received).toEqual([
      { comment: 'connected' },
      { data: { type: 'gateways.tagged', companyId: '2', data: { add: ['mine'], remove: [] } } },
      { data: { type: 'version.removed', companyId: null, data: { version: '1.1', latest: null } } },
    ]);
  });

  it('forwards every company’s events to a super user', async () => {
    const received = firstValueFrom(controller.stream(superUser, open()).pipe(take(2), toArray()));
    live.publish({ type: 'rollout.updated', companyId: '3', data: { rolloutId: 'r3', state: 'running' } });
    expect((await received)[1]).toEqual({ data: { type: 'rollout.updated', companyId: '3', data: { rolloutId: 'r3', state: 'running' } } });
  });

  it('forwards events published together, in order, scoped like single ones, however many bus messages they take', async () => {
    const events = Array.from({ length: LIVE_EVENTS_PER_MESSAGE + 2 }, (_, index): LiveEvent => ({
      type: 'gateway.updated',
      companyId: index % 2 === 0 ? '2' : '3',
      data: { gatewayId: `gw-${index}`, companyId: index % 2 === 0 ? '2' : '3', version: '1.0', lastUpgradeAt: null, lastSeenAt: '2026-12-01T00:00:00.000Z' },
    }));
    const mine = events.filter((event) => event.companyId === '2');
    const received = firstValueFrom(controller.stream(admin2, open()).pipe(take(mine.length + 1), toArray()));
    live.publishAll(events);
    expect(await received).toEqual([{ comment: 'connected' }, ...mine.map((event) => ({ data: event }))]);
  });

  it('sends a heartbeat comment on a quiet stream', () => {
    jest.useFakeTimers();
    const messages: unknown[] = [];
    let subscription: Subscription | undefined;
    try {
      subscription = controller.stream(admin2, open()).subscribe((message) => messages.push(message));
      jest.advanceTimersByTime(HEARTBEAT_INTERVAL_MS * 2);
      expect(messages).toEqual([{ comment: 'connected' }, { comment: 'heartbeat' }, { comment: 'heartbeat' }]);
    } finally {
      subscription?.unsubscribe();
      jest.useRealTimers();
    }
  });

  it('completes the stream when its lifetime ends', () => {
    const end = new Subject<string>();
    const ended = new LiveController(live, { endOf: () => end } as unknown as StreamLifetime, slots);
    let completed = false;
    ended.stream(admin2, open()).subscribe({ complete: () => (completed = true) });
    expect(completed).toBe(false);
    end.next('token revoked');
    expect(completed).toBe(true);
  });

  it('refuses a user’s stream past its bound with 429, counted, and gives the slot back when a stream ends', async () => {
    const streams = Array.from({ length: MAX_STREAMS_PER_USER }, () => new AbortController());
    for (const stream of streams) controller.stream(admin2, stream.signal);
    let refusal: unknown;
    try {
      controller.stream(admin2, open());
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(HttpException);
    expect((refusal as HttpException).getStatus()).toBe(429);
    // Another user is not refused for this one's streams.
    controller.stream(superUser, open());
    streams[0]?.abort();
    controller.stream(admin2, open());
    const text = await metrics.registry.metrics();
    expect(text).toContain('um_live_streams_refused_total{reason="per-user"} 1');
    expect(text).toContain(`um_live_streams_open ${MAX_STREAMS_PER_USER + 1}`);
  });

  it('gives the slot back at once when the client left before the stream began', () => {
    const left = new AbortController();
    left.abort();
    for (let index = 0; index < MAX_STREAMS_PER_USER + 1; index += 1) controller.stream(admin2, left.signal);
    expect(() => controller.stream(admin2, open())).not.toThrow();
  });

  it('ends every stream, and any opened afterwards, when the application shuts down', () => {
    let completed = 0;
    const late: unknown[] = [];
    const subscriptions = [controller.stream(admin2, open()).subscribe({ complete: () => (completed += 1) })];
    try {
      controller.onModuleDestroy();
      subscriptions.push(controller.stream(admin2, open()).subscribe({ next: (message) => late.push(message), complete: () => (completed += 1) }));
      expect(completed).toBe(2);
      expect(late).toEqual([]);
    } finally {
      for (const subscription of subscriptions) subscription.unsubscribe();
    }
  });
});
