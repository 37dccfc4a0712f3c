import { queryOptions, useQuery } from '@tanstack/react-query';
import type { GatewayHistoryDto } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';

const HISTORY_LIMIT = 100;

export const getGatewayHistory = (gatewayId: string, signal?: AbortSignal) =>
  api<GatewayHistoryDto>(`/api/gateways/${encodeURIComponent(gatewayId)}/history`, { query: { limit: HISTORY_LIMIT }, signal });

export const getGatewayHistoryQueryOptions = (gatewayId: string) =>
  queryOptions({ queryKey: ['gateways', 'history', gatewayId], queryFn: ({ signal }) => getGatewayHistory(gatewayId, signal) });

export const useGatewayHistory = (gatewayId: string) => useQuery(getGatewayHistoryQueryOptions(gatewayId));
