import { queryOptions, useQuery } from '@tanstack/react-query';
import type { GatewaySummaryDto } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';
import { ONLINE_REFRESH_MS } from './get-gateways';

export const getGatewaySummary = (signal?: AbortSignal) => api<GatewaySummaryDto>('/api/gateways/summary', { signal });

export const getGatewaySummaryQueryOptions = () =>
  queryOptions({ queryKey: ['gateways', 'summary'], queryFn: ({ signal }) => getGatewaySummary(signal), refetchInterval: ONLINE_REFRESH_MS });

export const useGatewaySummary = () => useQuery(getGatewaySummaryQueryOptions());
