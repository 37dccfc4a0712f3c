import {
  globToLinearRegexSource,
  globToRegexSource,
  type GatewayFilterDto,
  type GatewaySortField,
  type ListGatewaysQueryDto,
  type SortOrder,
} from '@upgrade-manager/dto';
import type { FilterQuery, SortOrder as MongoSortOrder } from 'mongoose';
import type { TenantScope } from '../auth/principal';
import type { RegexEngine } from '../database/regex-engine';
import type { Gateway } from './gateway.schema';

export type GatewayFilter = FilterQuery<Gateway>;

/** The gateways a tenant may see: its own company's, or every gateway for a super user. */
export function gatewayScopeFilter(scope: TenantScope): GatewayFilter {
  return scope.companyId === null ? {} : { companyId: scope.companyId };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The filter of a gateway list; `onlineSince` is the oldest lastSeenAt that still counts as online. */
export function gatewayListFilter(query: ListGatewaysQueryDto, scope: TenantScope, onlineSince: Date): GatewayFilter {
  const conditions: GatewayFilter[] = [];
  if (scope.companyId !== null) conditions.push({ companyId: scope.companyId });
  if (query.companyId !== undefined) conditions.push({ companyId: query.companyId });
  if (query.version !== undefined) conditions.push({ version: query.version });
  if (query.online === true) conditions.push({ lastSeenAt: { $gte: onlineSince } });
  if (query.online === false) conditions.push({ $or: [{ lastSeenAt: { $lt: onlineSince } }, { lastSeenAt: null }] });
  if (query.tag !== undefined) conditions.push({ tags: query.tag });
  if (query.upgradeStatus === 'none') conditions.push({ upgrade: null });
  else if (query.upgradeStatus !== undefined) conditions.push({ 'upgrade.status': query.upgradeStatus });
  if (query.admission === 'pending') conditions.push({ admission: 'pending' });
  else if (query.admission === 'accepted') conditions.push({ admission: { $ne: 'pending' } });
  if (query.search) {
    const pattern = { $regex: escapeRegex(query.search), $options: 'i' };
    conditions.push({ $or: [{ gatewayId: pattern }, { name: pattern }] });
  }
  return allOf(conditions);
}

/**
 * The enabled gateways a rollout or a bulk tagging reaches, within the tenant's scope. The id
 * pattern is a glob turned into an anchored expression of literal characters and `.*`/`.`; for a
 * backtracking regex engine (MongoDB) the form whose matching time is linear in the id's length.
 */
export function gatewayTargetFilter(filter: GatewayFilterDto, scope: TenantScope, onlineSince: Date, regexEngine: RegexEngine): GatewayFilter {
  const conditions: GatewayFilter[] = [{ enabled: { $ne: false } }];
  if (scope.companyId !== null) conditions.push({ companyId: scope.companyId });
  // null counts as absent: a filter read back from the database may hold nulls.
  if (filter.companyId != null) conditions.push({ companyId: filter.companyId });
  if (filter.tags != null) conditions.push({ tags: { $all: filter.tags } });
  if (filter.versions != null) conditions.push({ version: { $in: filter.versions } });
  if (filter.online === true) conditions.push({ lastSeenAt: { $gte: onlineSince } });
  if (filter.online === false) conditions.push({ $or: [{ lastSeenAt: { $lt: onlineSince } }, { lastSeenAt: null }] });
  if (filter.idPattern != null) {
    const pattern = { $regex: regexEngine === 'backtracking' ? globToLinearRegexSource(filter.idPattern) : globToRegexSource(filter.idPattern) };
    conditions.push({ $or: [{ gatewayId: pattern }, { name: pattern }] });
  }
  return allOf(conditions);
}

function allOf(conditions: GatewayFilter[]): GatewayFilter {
  if (conditions.length === 0) return {};
  return conditions.length === 1 ? conditions[0] : { $and: conditions };
}

/** What a list's total depends on (not the page, not the sort, not the clock): the key of its cached count. */
export function gatewayCountKey(query: ListGatewaysQueryDto, scope: TenantScope): string {
  const { companyId, version, online, upgradeStatus, tag, search, admission } = query;
  return JSON.stringify([scope.companyId, companyId, version, online, upgradeStatus, tag, search, admission]);
}

/** What a list's first pages depend on (filters and sort, not the page, not the clock): the key of its snapshot. */
export function gatewayListKey(query: ListGatewaysQueryDto, scope: TenantScope): string {
  return JSON.stringify([gatewayCountKey(query, scope), query.sort ?? null, query.order ?? null]);
}

/** Sort by the chosen column, then by gatewayId so that pages never overlap. */
export function gatewayListSort(field: GatewaySortField = 'gatewayId', order: SortOrder = 'asc'): Record<string, MongoSortOrder> {
  const direction = order === 'desc' ? -1 : 1;
  return field === 'gatewayId' ? { gatewayId: direction } : { [field]: direction, gatewayId: 1 };
}
