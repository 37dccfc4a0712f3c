import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { UpdateGatewayDto } from '@upgrade-manager/dto';
import { apiRequest } from '../../../lib/api-client';
import { getGatewayQueryOptions } from './get-gateway';

export const updateGateway = (gatewayId: string, changes: UpdateGatewayDto) =>
  apiRequest('patch', '/api/gateways/{gatewayId}', { path: { gatewayId }, body: changes });

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
