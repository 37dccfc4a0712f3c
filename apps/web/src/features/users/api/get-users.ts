import { queryOptions, useQuery } from '@tanstack/react-query';
import type { ListUsersQueryDto } from '@upgrade-manager/dto';
import { apiRequest } from '../../../lib/api-client';

export type UsersQuery = Pick<ListUsersQueryDto, 'companyId'>;

export const getUsers = (query: UsersQuery, signal?: AbortSignal) => apiRequest('get', '/api/users', { query, signal });

export const getUsersQueryOptions = (query: UsersQuery = {}) => queryOptions({ queryKey: ['users', query], queryFn: ({ signal }) => getUsers(query, signal) });

export const useUsers = (query: UsersQuery = {}, { enabled = true }: { enabled?: boolean } = {}) => useQuery({ ...getUsersQueryOptions(query), enabled });
