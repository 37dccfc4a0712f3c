import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import type { ListRolloutsQueryDto, RolloutListDto } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';

// Live events refresh at once; this catches what they cannot announce (another process's tick).
const LIST_REFRESH_MS = 10_000;

export type RolloutsQuery = Pick<ListRolloutsQueryDto, 'page' | 'pageSize' | 'state'>;

export const getRollouts = (query: RolloutsQuery, signal?: AbortSignal) => api<RolloutListDto>('/api/rollouts', { query, signal });

export const getRolloutsQueryOptions = (query: RolloutsQuery) =>
  queryOptions({
    queryKey: ['rollouts', 'list', query],
    queryFn: ({ signal }) => getRollouts(query, signal),
    placeholderData: keepPreviousData,
    refetchInterval: LIST_REFRESH_MS,
  });

export const useRollouts = (query: RolloutsQuery) => useQuery(getRolloutsQueryOptions(query));
