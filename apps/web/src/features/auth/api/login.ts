import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client';
import { tokenStore } from '../../../lib/token-store';
import { type Session, sessionQueryKey } from '../../../lib/session';
import type { LoginDto } from '@upgrade-manager/dto';

export const login = (input: LoginDto) => apiRequest('post', '/api/auth/login', { body: input });

export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: login,
    onSuccess: ({ accessToken, user }) => {
      tokenStore.set(accessToken);
      const session: Session = { user, mode: 'jwt' };
      queryClient.setQueryData(sessionQueryKey, session);
    },
  });
}
