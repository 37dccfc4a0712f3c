import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { UpdateUserDto, UserDto } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';

export const updateUser = (id: string, changes: UpdateUserDto) => api<UserDto>(`/api/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: changes });

export function useUpdateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, changes }: { id: string; changes: UpdateUserDto }) => updateUser(id, changes),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }),
  });
}
