import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CreateDeploymentDto, DeploymentCreatedDto } from '@upgrade-manager/dto';
import { apiRequest } from '../../../lib/api-client';

export const createDeployment = (request: CreateDeploymentDto) => apiRequest('post', '/api/deployments', { body: request });

/** Sends one or more deployment requests (one per company, one for picked gateways) in order. */
export function useCreateDeployments() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (requests: CreateDeploymentDto[]) => {
      const created: DeploymentCreatedDto[] = [];
      for (const request of requests) created.push(await createDeployment(request));
      return created;
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ['gateways'] });
      void queryClient.invalidateQueries({ queryKey: ['deployments'] });
    },
  });
}
