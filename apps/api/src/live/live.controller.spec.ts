import { firstValueFrom, Subscription, take, toArray } from 'rxjs';
import type { Principal } from '../auth/principal';
import type { ClusterBus } from '../cluster/cluster-bus.service';
import { HEARTBEAT_INTERVAL_MS, LiveController } from './live.controller';
import { LiveEventsService } from './live-events.service';

const admin2: Principal = { userId: 'u2', email: 'a@two.test', role: 'admin', companyId: '2' };
const superUser: Principal = { userId: 's', email: 's@one.test', role: 'super', companyId: '1' };

describe('LiveController', () => {
  let live: LiveEventsService;
  let controller: LiveController;

  beforeEach(() => {
    // The broker round trip, looped back in memory.
    const handlers = new Map<string, (body: unknown, origin: string) => void>();
    const bus = {
      on: (kind: string, _schema: unknown, handle: (body: unknown, origin: string) => void) => handlers.set(kind, handle),
      publish: async (kind: string, body: unknown) => handlers.get(kind)?.(body, 'this-process'),
    };
    live = new LiveEventsService(bus as unknown as ClusterBus);
    live.onModuleInit();
    controller = new LiveController(live);
  });

  it('opens with a comment, then forwards only events of the caller’s company and global ones', async () => {
    const received = firstValueFrom(controller.stream(admin2).pipe(take(3), toArray()));
    live.publish({ type: 'gateway.updated', companyId: '3', data: { gatewayId: 'other', companyId: '2', version: '1.0', lastUpgradeAt: null, lastSeenAt: '2026-01-01T00:00:00.000Z' } });
    live.publish({ type: 'gateway.updated', companyId: '2', data: { gatewayId: 'mine', companyId: '2', version: '1.0', lastUpgradeAt: null, lastSeenAt: '2026-01-01T00:00:00.000Z' } });
    live.publish({ type: 'version.removed', companyId: null, data: { version: '1.1', latest: '1.1' } });
    expect(await received).toEqual([
      { comment: 'connected' },
      { data: { type: 'gateway.updated', companyId: '2', data: { gatewayId: 'mine', companyId: '2', version: '1.0', lastUpgradeAt: null, lastSeenAt: '2026-01-01T00:00:00.000Z' } } },
      { data: { type: 'version.removed', companyId: null, data: { version: '1.1', latest: '1.1' } } },
    ]);
  });

  it('forwards every company’s events to a super user', async () => {
    const received = firstValueFrom(controller.stream(superUser).pipe(take(2), toArray()));
    live.publish({ type: 'gateway.registered', companyId: '3', data: { gatewayId: 'g3', companyId: '2', version: '1.0', lastUpgradeAt: null, lastSeenAt: '2026-01-01T00:00:00.000Z' } });
    expect((await received)[1]).toEqual({ data: { type: 'gateway.registered', companyId: '3', data: { gatewayId: 'g3', companyId: '2', version: '1.0', lastUpgradeAt: null, lastSeenAt: '2026-01-01T00:00:00.000Z' } } });
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
});
