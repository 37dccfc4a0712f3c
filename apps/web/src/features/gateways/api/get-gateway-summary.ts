import { queryOptions, useQuery } from '@tanstack/react-query';
import type { GatewaySummaryDto } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';

export const getGatewaySummary = (signal?: AbortSignal) => api<GatewaySummaryDto>('/api/gateways/summary', { signal });

export const getGatewaySummaryQueryOptions = () =>
  queryOptions({ queryKey: ['gateways', 'summary'], queryFn: ({ signal }) => getGatewaySummary(signal) });

export const useGatewaySummary = () => useQuery(getGatewaySummaryQueryOptions());
