import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client';

export const getGateway = (gatewayId: string, signal?: AbortSignal) => apiRequest('get', '/api/gateways/{gatewayId}', { path: { gatewayId }, signal });

export const getGatewayQueryOptions = (gatewayId: string) =>
  queryOptions({ queryKey: ['gateways', 'detail', gatewayId], queryFn: ({ signal }) => getGateway(gatewayId, signal) });

export const useGateway = (gatewayId: string) => useQuery(getGatewayQueryOptions(gatewayId));
