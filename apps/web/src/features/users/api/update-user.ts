import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { UpdateUserDto } from '@upgrade-manager/dto';
import { apiRequest } from '../../../lib/api-client';

export const updateUser = (id: string, changes: UpdateUserDto) => apiRequest('patch', '/api/users/{id}', { path: { id }, body: changes });

export function useUpdateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, changes }: { id: string; changes: UpdateUserDto }) => updateUser(id, changes),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }),
  });
}
