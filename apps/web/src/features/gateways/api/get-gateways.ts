import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import type { GatewayListDto, ListGatewaysQueryDto } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';

export type GatewaysQuery = Pick<
  ListGatewaysQueryDto,
  'page' | 'pageSize' | 'companyId' | 'version' | 'online' | 'upgradeStatus' | 'search' | 'sort' | 'order'
>;

export const getGateways = (query: GatewaysQuery, signal?: AbortSignal) => api<GatewayListDto>('/api/gateways', { query, signal });

export const getGatewaysQueryOptions = (query: GatewaysQuery) =>
  queryOptions({
    queryKey: ['gateways', 'list', query],
    queryFn: ({ signal }) => getGateways(query, signal),
    // Keep the current page on screen while the next one loads.
    placeholderData: keepPreviousData,
  });

export const useGateways = (query: GatewaysQuery, { enabled = true }: { enabled?: boolean } = {}) =>
  useQuery({ ...getGatewaysQueryOptions(query), enabled });
