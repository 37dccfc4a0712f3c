import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client';

export const getVersions = (signal?: AbortSignal) => apiRequest('get', '/api/versions', { signal });

export const getVersionsQueryOptions = () => queryOptions({ queryKey: ['versions'], queryFn: ({ signal }) => getVersions(signal) });

export const useVersions = () => useQuery(getVersionsQueryOptions());
