import { notifications } from '@mantine/notifications';
import { type QueryClient, type QueryKey, useQueryClient } from '@tanstack/react-query';
import type { LiveEventType } from '@upgrade-manager/dto';
import { useEffect, useState } from 'react';
import { sessionQueryKey } from './session';
import { apiUrl } from './api-client';
import { tokenStore } from './token-store';

/** One message of GET /api/stream, as parsed before its type is known (a type this build does not know yet still refreshes the events). */
export interface LiveMessage {
  type: LiveEventType | (string & {});
  companyId: string | null;
  data: Record<string, unknown>;
}

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

const RECONNECT_DELAY_MS = 5_000;
const INVALIDATE_DELAY_MS = 400;

/** Which cached queries a live event makes stale. Refetching is simpler and safer than patching caches. */
export function queryKeysFor(type: LiveMessage['type']): QueryKey[] {
  const keys: QueryKey[] = [['events']];
  if (type.startsWith('gateway.')) keys.push(['gateways']);
  if (type.startsWith('deployment.')) keys.push(['deployments'], ['gateways']);
  if (type.startsWith('rollout.')) keys.push(['rollouts']);
  if (type.startsWith('version.')) keys.push(['versions']);
  if (type.startsWith('user.')) keys.push(['users']);
  if (type.startsWith('company.')) keys.push(['companies'], ['gateways']);
  return keys;
}

/**
 * Collects the query keys of a burst of events (a rollout to thousands of gateways) and
 * invalidates each once, so the page refetches once per burst instead of once per event.
 */
export class LiveInvalidator {
  private readonly pending = new Map<string, QueryKey>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly queryClient: QueryClient,
    private readonly delayMs = INVALIDATE_DELAY_MS,
  ) {}

  add(keys: QueryKey[]): void {
    for (const key of keys) this.pending.set(JSON.stringify(key), key);
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const keys = [...this.pending.values()];
    this.pending.clear();
    for (const queryKey of keys) void this.queryClient.invalidateQueries({ queryKey });
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }
}

export function parseLiveMessage(text: string): LiveMessage | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;
    const { type, companyId, data } = value as Partial<LiveMessage>;
    if (typeof type !== 'string') return null;
    return { type, companyId: companyId ?? null, data: typeof data === 'object' && data !== null ? data : {} };
  } catch {
    return null;
  }
}

function announce(message: LiveMessage): void {
  if (message.type === 'version.added') {
    const version = typeof message.data['version'] === 'string' ? message.data['version'] : 'A new version';
    notifications.show({ title: 'New version available', message: `Version ${version} can now be deployed.`, color: 'teal' });
  }
}

/** Follows the server's live stream while mounted and keeps the cached queries fresh. */
export function useLiveEvents(): LiveStatus {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>('connecting');

  useEffect(() => {
    const invalidator = new LiveInvalidator(queryClient);
    let source: EventSource | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | null = null;
    let openedBefore = false;
    let disposed = false;

    const connect = () => {
      const token = tokenStore.get();
      // EventSource cannot send headers, so the token travels in the query string.
      source = new EventSource(apiUrl('/api/stream', { access_token: token }));
      source.onopen = () => {
        setStatus('live');
        // Whatever happened while disconnected was missed: refresh everything once.
        if (openedBefore) void queryClient.invalidateQueries({ predicate: (query) => query.queryKey[0] !== sessionQueryKey[0] });
        openedBefore = true;
      };
      source.onmessage = (event: MessageEvent<string>) => {
        const message = parseLiveMessage(event.data);
        if (!message) return;
        announce(message);
        invalidator.add(queryKeysFor(message.type));
      };
      source.onerror = () => {
        setStatus('reconnecting');
        if (source?.readyState !== EventSource.CLOSED || disposed) return;
        // The browser gave up (e.g. the token expired): check the session, then try again.
        void queryClient.invalidateQueries({ queryKey: sessionQueryKey });
        retryTimer = setTimeout(connect, RECONNECT_DELAY_MS);
      };
    };

    connect();
    return () => {
      disposed = true;
      if (retryTimer) clearTimeout(retryTimer);
      source?.close();
      invalidator.dispose();
    };
  }, [queryClient]);

  return status;
}
