import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { getVersionsQueryOptions } from './get-versions';

export const deleteVersion = (version: string) => api<void>(`/api/versions/${encodeURIComponent(version)}`, { method: 'DELETE' });

export function useDeleteVersion() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteVersion,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: getVersionsQueryOptions().queryKey }),
  });
}
