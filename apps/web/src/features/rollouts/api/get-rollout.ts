import { queryOptions, useQuery } from '@tanstack/react-query';
import type { RolloutDetailDto, RolloutState } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';

// A moving rollout is polled as well as refreshed by live events: its controller may run in another API process.
const MOVING_REFRESH_MS = 2_000;
const STOPPED_STATES: readonly RolloutState[] = ['aborted', 'cancelled', 'finished'];

export const getRollout = (id: string, signal?: AbortSignal) => api<RolloutDetailDto>(`/api/rollouts/${encodeURIComponent(id)}`, { signal });

/** Whether the rollout can still change by itself (a stopped one may still collect outcomes of pending targets). */
export function isMoving(rollout: RolloutDetailDto): boolean {
  return !STOPPED_STATES.includes(rollout.state) || rollout.counts.pending + rollout.counts.starting > 0;
}

export const getRolloutQueryOptions = (id: string) =>
  queryOptions({
    queryKey: ['rollouts', 'detail', id],
    queryFn: ({ signal }) => getRollout(id, signal),
    refetchInterval: (query) => (query.state.data && !isMoving(query.state.data) ? false : MOVING_REFRESH_MS),
  });

export const useRollout = (id: string) => useQuery(getRolloutQueryOptions(id));
