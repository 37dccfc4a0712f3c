import { firstValueFrom, NEVER, Subject, Subscription, take, toArray } from 'rxjs';
import type { Principal } from '../auth/principal';
import type { ClusterBus } from '../cluster/cluster-bus.service';
import { HEARTBEAT_INTERVAL_MS, LiveController } from './live.controller';
import { LIVE_EVENTS_PER_MESSAGE, LiveEventsService, type LiveEvent } from './live-events.service';
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

  beforeEach(() => {
    live = new LiveEventsService(loopbackBus());
    live.onModuleInit();
    controller = new LiveController(live, { endOf: () => NEVER } as unknown as StreamLifetime);
  });

  it('opens with a comment, then forwards only events of the caller’s company and global ones', async () => {
    const received = firstValueFrom(controller.stream(admin2).pipe(take(3), toArray()));
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
    const received = firstValueFrom(controller.stream(superUser).pipe(take(2), toArray()));
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
    const received = firstValueFrom(controller.stream(admin2).pipe(take(mine.length + 1), toArray()));
    live.publishAll(events);
    expect(await received).toEqual([{ comment: 'connected' }, ...mine.map((event) => ({ data: event }))]);
  });

  it('sends a heartbeat comment on a quiet stream', () => {
    jest.useFakeTimers();
    const messages: unknown[] = [];
    let subscription: Subscription | undefined;
    try {
      subscription = controller.stream(admin2).subscribe((message) => messages.push(message));
      jest.advanceTimersByTime(HEARTBEAT_INTERVAL_MS * 2);
      expect(messages).toEqual([{ comment: 'connected' }, { comment: 'heartbeat' }, { comment: 'heartbeat' }]);
    } finally {
      subscription?.unsubscribe();
      jest.useRealTimers();
    }
  });

  it('completes the stream when its lifetime ends', () => {
    const end = new Subject<string>();
    const ended = new LiveController(live, { endOf: () => end } as unknown as StreamLifetime);
    let completed = false;
    ended.stream(admin2).subscribe({ complete: () => (completed = true) });
    expect(completed).toBe(false);
    end.next('token revoked');
    expect(completed).toBe(true);
  });
});
