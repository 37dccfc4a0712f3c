import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { GatewayDto } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';
import { getGatewayQueryOptions } from './get-gateway';

export const acceptGateway = (gatewayId: string) => api<GatewayDto>(`/api/gateways/${encodeURIComponent(gatewayId)}/accept`, { method: 'POST' });

export function useAcceptGateway(gatewayId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => acceptGateway(gatewayId),
    onSuccess: (gateway) => {
      queryClient.setQueryData(getGatewayQueryOptions(gatewayId).queryKey, gateway);
      void queryClient.invalidateQueries({ queryKey: ['gateways'] });
      void queryClient.invalidateQueries({ queryKey: ['events'] });
    },
  });
}
