import { queryOptions, useQuery } from '@tanstack/react-query';
import { ApiError, apiRequest } from './api-client';
import { tokenStore } from './token-store';
import type { AuthUserDto } from '@upgrade-manager/dto';

/** Who is logged in; `mode: 'none'` when the API runs without login (development mode). */
export interface Session {
  user: AuthUserDto;
  mode: 'jwt' | 'none';
}

export async function getSession(): Promise<Session | null> {
  const hadToken = tokenStore.get() !== null;
  try {
    const user = await apiRequest('get', '/api/auth/me');
    // Without a token the API only answers in development mode (AUTH_MODE=none).
    return { user, mode: hadToken ? 'jwt' : 'none' };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      tokenStore.clear();
      return null;
    }
    throw error;
  }
}

export const getSessionQueryOptions = () =>
  queryOptions({ queryKey: ['auth', 'session'] as const, queryFn: getSession, retry: false, staleTime: Infinity, gcTime: Infinity });

export const sessionQueryKey = getSessionQueryOptions().queryKey;

export const useSessionQuery = () => useQuery(getSessionQueryOptions());
