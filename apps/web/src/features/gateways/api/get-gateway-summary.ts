import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client';
import { ONLINE_REFRESH_MS } from './get-gateways';

export const getGatewaySummary = (signal?: AbortSignal) => apiRequest('get', '/api/gateways/summary', { signal });

export const getGatewaySummaryQueryOptions = () =>
  queryOptions({ queryKey: ['gateways', 'summary'], queryFn: ({ signal }) => getGatewaySummary(signal), refetchInterval: ONLINE_REFRESH_MS });

export const useGatewaySummary = () => useQuery(getGatewaySummaryQueryOptions());
