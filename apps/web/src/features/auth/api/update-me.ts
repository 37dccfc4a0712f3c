import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { sessionQueryKey } from './get-me';
import type { AuthUserDto, UpdateProfileDto } from '@upgrade-manager/dto';

export const updateMe = (input: UpdateProfileDto) => api<AuthUserDto>('/api/auth/me', { method: 'PATCH', body: input });

export function useUpdateMe() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updateMe,
    onSuccess: (user) => {
      queryClient.setQueryData(sessionQueryKey, (session) => (session ? { ...session, user } : session));
    },
  });
}
