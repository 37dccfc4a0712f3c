import type { ListEventsQueryDto } from '@upgrade-manager/dto';
import type { FilterQuery } from 'mongoose';
import type { Principal } from '../auth/principal';
import { tenantScopeOf } from '../auth/principal';
import type { Event } from './event.schema';

/** The database filter of an event log query; non-super principals only ever see their company. */
export function eventsFilter(principal: Principal, query: ListEventsQueryDto): FilterQuery<Event> {
  const conditions: FilterQuery<Event>[] = [];
  const scope = tenantScopeOf(principal);
  if (scope.companyId !== null) conditions.push({ companyId: scope.companyId });
  if (query.companyId) conditions.push({ companyId: query.companyId });
  if (query.userId) conditions.push({ 'actor.userId': query.userId });
  if (query.gatewayId) conditions.push({ gatewayId: query.gatewayId });
  if (query.type) conditions.push({ type: query.type });
  if (query.from) conditions.push({ at: { $gte: new Date(query.from) } });
  if (query.to) conditions.push({ at: { $lt: new Date(query.to) } });
  if (conditions.length === 0) return {};
  return conditions.length === 1 ? conditions[0] : { $and: conditions };
}
