import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import type { ListEventsQueryDto } from '@upgrade-manager/dto';
import { apiRequest } from '../../../lib/api-client';

export type EventsQuery = Pick<ListEventsQueryDto, 'userId' | 'gatewayId' | 'type' | 'companyId' | 'from' | 'to' | 'offset' | 'limit'>;

export const getEvents = (query: EventsQuery, signal?: AbortSignal) => apiRequest('get', '/api/events', { query, signal });

export const getEventsQueryOptions = (query: EventsQuery) =>
  queryOptions({ queryKey: ['events', query], queryFn: ({ signal }) => getEvents(query, signal), placeholderData: keepPreviousData });

export const useEvents = (query: EventsQuery) => useQuery(getEventsQueryOptions(query));
