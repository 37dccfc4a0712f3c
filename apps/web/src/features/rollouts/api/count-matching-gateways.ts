import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import type { GatewayFilterDto, GatewayMatchCountDto } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';

export const countMatchingGateways = (filter: GatewayFilterDto, signal?: AbortSignal) =>
  api<GatewayMatchCountDto>('/api/gateways/match', { method: 'POST', body: { filter }, signal });

export const countMatchingGatewaysQueryOptions = (filter: GatewayFilterDto) =>
  queryOptions({
    queryKey: ['gateways', 'match', filter],
    queryFn: ({ signal }) => countMatchingGateways(filter, signal),
    placeholderData: keepPreviousData,
  });

/** How many enabled gateways the filter matches now, per company (the rollout form's live count). */
export const useMatchingGatewayCount = (filter: GatewayFilterDto, { enabled = true } = {}) =>
  useQuery({ ...countMatchingGatewaysQueryOptions(filter), enabled });
