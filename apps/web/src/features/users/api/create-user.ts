import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CreateUserDto } from '@upgrade-manager/dto';
import { apiRequest } from '../../../lib/api-client';

export const createUser = (input: CreateUserDto) => apiRequest('post', '/api/users', { body: input });

export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: createUser, onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }) });
}
