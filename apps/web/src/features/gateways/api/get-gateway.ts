import { queryOptions, useQuery } from '@tanstack/react-query';
import type { GatewayDto } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';

export const getGateway = (gatewayId: string, signal?: AbortSignal) =>
  api<GatewayDto>(`/api/gateways/${encodeURIComponent(gatewayId)}`, { signal });

export const getGatewayQueryOptions = (gatewayId: string) =>
  queryOptions({ queryKey: ['gateways', 'detail', gatewayId], queryFn: ({ signal }) => getGateway(gatewayId, signal) });

export const useGateway = (gatewayId: string) => useQuery(getGatewayQueryOptions(gatewayId));
