import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CreateRolloutDto, RolloutDetailDto } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';

export const createRollout = (request: CreateRolloutDto) => api<RolloutDetailDto>('/api/rollouts', { method: 'POST', body: request });

export function useCreateRollout() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createRollout,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['rollouts'] }),
  });
}
