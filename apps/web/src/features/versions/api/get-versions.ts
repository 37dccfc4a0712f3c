import { queryOptions, useQuery } from '@tanstack/react-query';
import type { VersionListDto } from '@upgrade-manager/dto';
import { api } from '../../../lib/api-client';

export const getVersions = (signal?: AbortSignal) => api<VersionListDto>('/api/versions', { signal });

export const getVersionsQueryOptions = () => queryOptions({ queryKey: ['versions'], queryFn: ({ signal }) => getVersions(signal) });

export const useVersions = () => useQuery(getVersionsQueryOptions());
