import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { GatewayDto, UpdateGatewayDto } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';
import { getGatewayQueryOptions } from './get-gateway';

export const updateGateway = (gatewayId: string, changes: UpdateGatewayDto) =>
  api<GatewayDto>(`/api/gateways/${encodeURIComponent(gatewayId)}`, { method: 'PATCH', body: changes });

export function useUpdateGateway(gatewayId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (changes: UpdateGatewayDto) => updateGateway(gatewayId, changes),
    onSuccess: (gateway) => {
      queryClient.setQueryData(getGatewayQueryOptions(gatewayId).queryKey, gateway);
      void queryClient.invalidateQueries({ queryKey: ['gateways'] });
      void queryClient.invalidateQueries({ queryKey: ['events'] });
    },
  });
}
