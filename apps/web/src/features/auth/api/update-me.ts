import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client';
import { sessionQueryKey } from '../../../lib/session';
import type { UpdateProfileDto } from '@upgrade-manager/dto';

export const updateMe = (input: UpdateProfileDto) => apiRequest('patch', '/api/auth/me', { body: input });

export function useUpdateMe() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updateMe,
    onSuccess: (user) => {
      queryClient.setQueryData(sessionQueryKey, (session) => (session ? { ...session, user } : session));
    },
  });
}
