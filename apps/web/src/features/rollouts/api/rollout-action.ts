import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { RolloutAction, RolloutDetailDto } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';

export const runRolloutAction = (id: string, action: RolloutAction) =>
  api<RolloutDetailDto>(`/api/rollouts/${encodeURIComponent(id)}/${action}`, { method: 'POST' });

export function useRolloutAction(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (action: RolloutAction) => runRolloutAction(id, action),
    onSuccess: (rollout) => queryClient.setQueryData(['rollouts', 'detail', id], rollout),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ['rollouts'] }),
  });
}
