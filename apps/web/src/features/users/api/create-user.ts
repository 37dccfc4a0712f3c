import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CreateUserDto, UserDto } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';

export const createUser = (input: CreateUserDto) => api<UserDto>('/api/users', { method: 'POST', body: input });

export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: createUser, onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }) });
}
