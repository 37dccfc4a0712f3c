import { queryOptions, useQuery } from '@tanstack/react-query';
import type { ListDeploymentsQueryDto } from '@upgrade-manager/dto';
import { apiRequest } from '../../../lib/api-client';

export type DeploymentsQuery = Pick<ListDeploymentsQueryDto, 'limit' | 'offset' | 'companyId' | 'version'>;

export const getDeployments = (query: DeploymentsQuery, signal?: AbortSignal) => apiRequest('get', '/api/deployments', { query, signal });

export const getDeploymentsQueryOptions = (query: DeploymentsQuery) =>
  queryOptions({ queryKey: ['deployments', 'list', query], queryFn: ({ signal }) => getDeployments(query, signal) });

export const useDeployments = (query: DeploymentsQuery) => useQuery(getDeploymentsQueryOptions(query));
