import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client';

// A safety net only: live events refresh a running deployment at once.
const RUNNING_REFRESH_MS = 15_000;

export const getDeployment = (id: string, signal?: AbortSignal) => apiRequest('get', '/api/deployments/{id}', { path: { id }, signal });

export const getDeploymentQueryOptions = (id: string) =>
  queryOptions({
    queryKey: ['deployments', 'detail', id],
    queryFn: ({ signal }) => getDeployment(id, signal),
    refetchInterval: (query) => (query.state.data && query.state.data.counts.pending === 0 ? false : RUNNING_REFRESH_MS),
  });

export const useDeployment = (id: string) => useQuery(getDeploymentQueryOptions(id));
