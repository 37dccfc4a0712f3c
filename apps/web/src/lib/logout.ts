import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from './api-client';
import { tokenStore } from './token-store';
import { sessionQueryKey } from './session';

export const logout = () => apiRequest('post', '/api/auth/logout');

export function useLogout() {
  const queryClient = useQueryClient();
  return useMutation({
    // Logging out locally must work even when the server cannot be reached.
    mutationFn: () => logout().catch(() => undefined),
    onSettled: () => {
      tokenStore.clear();
      queryClient.setQueryData(sessionQueryKey, null);
      // Nothing of the previous user's data may show for the next one.
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== sessionQueryKey[0] });
    },
  });
}
