import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import type { ListGatewaysQueryDto } from '@upgrade-manager/dto';
import { apiRequest } from '../../../lib/api-client';

export const ONLINE_REFRESH_MS = 60_000;

export type GatewaysQuery = Pick<
  ListGatewaysQueryDto,
  'page' | 'pageSize' | 'companyId' | 'version' | 'online' | 'upgradeStatus' | 'search' | 'tag' | 'sort' | 'order'
>;

export const getGateways = (query: GatewaysQuery, signal?: AbortSignal) => apiRequest('get', '/api/gateways', { query, signal });

export const getGatewaysQueryOptions = (query: GatewaysQuery) =>
  queryOptions({
    queryKey: ['gateways', 'list', query],
    queryFn: ({ signal }) => getGateways(query, signal),
    // Keep the current page on screen while the next one loads.
    placeholderData: keepPreviousData,
    // Going offline is the absence of messages, so no live event announces it: refresh now and then.
    refetchInterval: ONLINE_REFRESH_MS,
  });

export const useGateways = (query: GatewaysQuery, { enabled = true }: { enabled?: boolean } = {}) => useQuery({ ...getGatewaysQueryOptions(query), enabled });
