import { Subscription } from 'rxjs';
import type { Principal } from '../auth/principal';
import type { PrincipalRevalidator } from '../auth/principal-revalidator';
import { LOGINS_PER_CHECK, STREAM_REVALIDATE_MS, StreamLifetime } from './stream-lifetime';

function principalOf(userId: string, expiresInMs = 3_600_000): Principal {
  return {
    userId,
    email: `${userId}@two.test`,
    role: 'user',
    companyId: '2',
    token: { id: `t-${userId}`, issuedAtMs: 0, expiresAt: new Date(Date.now() + expiresInMs) },
  };
}

describe('StreamLifetime', () => {
  let checked: Principal[][];
  let ended: Set<string>;
  let failing: boolean;
  let lifetime: StreamLifetime;
  const subscriptions: Subscription[] = [];

  beforeEach(() => {
    jest.useFakeTimers();
    checked = [];
    ended = new Set();
    failing = false;
    const revalidator = {
      endReasons: async (principals: Principal[]) => {
        checked.push(principals);
        if (failing) throw new Error('database down');
        return principals.map((principal) => (ended.has(principal.userId) ? 'token revoked' : null));
      },
    } as unknown as PrincipalRevalidator;
    lifetime = new StreamLifetime(revalidator);
  });

  afterEach(() => {
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
    lifetime.onModuleDestroy();
    jest.useRealTimers();
  });

  function follow(principal: Principal): string[] {
    const reasons: string[] = [];
    subscriptions.push(lifetime.endOf(principal).subscribe((reason) => reasons.push(reason)));
    return reasons;
  }

  it('checks every open stream’s login in one round per interval and ends only those whose login ended', async () => {
    const streams = Array.from({ length: 300 }, (_, index) => follow(principalOf(`u${index}`)));
    ended.add('u7');
    await jest.advanceTimersByTimeAsync(STREAM_REVALIDATE_MS);
    expect(checked).toHaveLength(1);
    expect(checked[0]).toHaveLength(300);
    expect(streams[7]).toEqual(['token revoked']);
    expect(streams.filter((reasons) => reasons.length > 0)).toHaveLength(1);
    // An ended stream is not checked again.
    await jest.advanceTimersByTimeAsync(STREAM_REVALIDATE_MS);
    expect(checked[1]).toHaveLength(299);
  });

  it('reads in rounds of at most LOGINS_PER_CHECK logins', async () => {
    for (let index = 0; index < LOGINS_PER_CHECK + 5; index += 1) follow(principalOf(`u${index}`));
    await jest.advanceTimersByTimeAsync(STREAM_REVALIDATE_MS);
    expect(checked.map((round) => round.length)).toEqual([LOGINS_PER_CHECK, 5]);
  });

  it('keeps the streams when a check fails; the next check decides', async () => {
    const stream = follow(principalOf('u1'));
    ended.add('u1');
    failing = true;
    await jest.advanceTimersByTimeAsync(STREAM_REVALIDATE_MS);
    expect(stream).toEqual([]);
    failing = false;
    await jest.advanceTimersByTimeAsync(STREAM_REVALIDATE_MS);
    expect(stream).toEqual(['token revoked']);
  });

  it('stops checking once no stream is open, and checks nothing for development mode', async () => {
    follow({ userId: 'development', email: 'development@localhost', role: 'super', companyId: '1' });
    follow(principalOf('u1'));
    subscriptions.splice(1)[0]?.unsubscribe();
    await jest.advanceTimersByTimeAsync(STREAM_REVALIDATE_MS * 3);
    expect(checked).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('ends a stream when its token expires, without a check', async () => {
    const stream = follow(principalOf('u1', 1_000));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(stream).toEqual(['token expired']);
  });
});
