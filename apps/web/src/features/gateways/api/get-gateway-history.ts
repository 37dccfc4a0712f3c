import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client';

const HISTORY_LIMIT = 100;

export const getGatewayHistory = (gatewayId: string, signal?: AbortSignal) =>
  apiRequest('get', '/api/gateways/{gatewayId}/history', { path: { gatewayId }, query: { limit: HISTORY_LIMIT }, signal });

export const getGatewayHistoryQueryOptions = (gatewayId: string) =>
  queryOptions({ queryKey: ['gateways', 'history', gatewayId], queryFn: ({ signal }) => getGatewayHistory(gatewayId, signal) });

export const useGatewayHistory = (gatewayId: string) => useQuery(getGatewayHistoryQueryOptions(gatewayId));
