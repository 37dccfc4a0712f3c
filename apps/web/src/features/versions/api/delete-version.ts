import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client';
import { getVersionsQueryOptions } from './get-versions';

export const deleteVersion = (version: string) => apiRequest('delete', '/api/versions/{version}', { path: { version } });

export function useDeleteVersion() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteVersion,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: getVersionsQueryOptions().queryKey }),
  });
}
