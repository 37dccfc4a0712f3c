import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { GATEWAY_TAGS_MAX, type BulkTagGatewaysDto, type BulkTagResultDto, type GatewayFilterDto, type GatewayMatchCountDto } from '@upgrade-manager/dto';
import type { Model } from 'mongoose';
import { tenantScopeOf, type Principal, type TenantScope } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { GatewaysStore } from './gateways.store';
import { EventsService } from '../events/events.service';
import { LiveEventsService } from '../live/live-events.service';
import { readsById } from '../database/reads-by-id';
import { RegexEngineProbe } from '../database/regex-engine';
import { gatewayScopeFilter, gatewayTargetFilter } from './gateway-query';
import { Gateway, type GatewayUpgrade } from './gateway.schema';
import { GatewaysService } from './gateways.service';
import { assertCanManageGateways } from './gateways.policy';

/** Most gateways one filter may select (rollout snapshot, bulk tagging); larger fleets are split by filter. */
export const GATEWAY_SELECTION_MAX = 10_000;
// Above this many ids one read of the candidates is cheaper than `$in`: FerretDB compares every document with every listed id.
const ID_LIST_MAX = 100;

export interface SelectedGateway {
  gatewayId: string;
  companyId: string;
}

/** Gateways chosen by a filter rather than by id: live counts, bulk tagging, rollout targets. */
@Injectable()
export class GatewaySelectionService implements OnApplicationBootstrap {
  private readonly logger = new Logger(GatewaySelectionService.name);
  // How idPattern globs are written for the database's regex engine, read once (buildInfo).
  private readonly regexEngine: RegexEngineProbe;

  constructor(
    @InjectModel(Gateway.name) private readonly gateways: Model<Gateway>,
    private readonly store: GatewaysStore,
    private readonly gatewaysService: GatewaysService,
    private readonly events: EventsService,
    private readonly live: LiveEventsService,
  ) {
    this.regexEngine = new RegexEngineProbe(gateways.db);
  }

  // Read at the start; a failure is logged and the first filter asks again.
  onApplicationBootstrap(): void {
    this.regexEngine.get().catch((error: Error) => this.logger.warn(`Could not read the database's regex engine yet: ${error.message}`));
  }

  private async targetFilter(filter: GatewayFilterDto, scope: TenantScope) {
    return gatewayTargetFilter(filter, scope, this.gatewaysService.onlineSince(), await this.regexEngine.get());
  }

  /** An admin's filter naming another company is refused rather than silently emptied. */
  assertWithinTenant(principal: Principal, filter: GatewayFilterDto): TenantScope {
    const scope = tenantScopeOf(principal);
    if (scope.companyId !== null && filter.companyId !== undefined && filter.companyId !== scope.companyId) {
      throw new DomainError(DomainErrorCode.FORBIDDEN, 'Filters only reach gateways of your own company');
    }
    return scope;
  }

  async matchCount(principal: Principal, filter: GatewayFilterDto): Promise<GatewayMatchCountDto> {
    const scope = this.assertWithinTenant(principal, filter);
    const groups = await this.gateways.aggregate<{ _id: string; count: number }>([
      { $match: await this.targetFilter(filter, scope) },
      { $group: { _id: '$companyId', count: { $sum: 1 } } },
    ]);
    const companies = groups.map((group) => ({ companyId: group._id, count: group.count })).sort((a, b) => a.companyId.localeCompare(b.companyId));
    return { total: companies.reduce((sum, company) => sum + company.count, 0), companies };
  }

  /** The enabled gateways a filter matches in the scope, by gateway id; at most `limit`. */
  async select(scope: TenantScope, filter: GatewayFilterDto, limit = GATEWAY_SELECTION_MAX): Promise<SelectedGateway[]> {
    return this.gateways
      .find(await this.targetFilter(filter, scope), { _id: 0, gatewayId: 1, companyId: 1 })
      .sort({ gatewayId: 1 })
      .limit(limit)
      .lean<SelectedGateway[]>();
  }

  /** Which of these gateways are enabled in the scope now (a gateway may be disabled or gone by its turn). */
  async enabledOf(gatewayIds: readonly string[], scope: TenantScope): Promise<Set<string>> {
    const inScope = { enabled: { $ne: false }, ...gatewayScopeFilter(scope) };
    const found = await readsById(
      gatewayIds,
      (ids) =>
        this.gateways
          .find({ _id: { $in: ids }, ...inScope }, { _id: 1 })
          .lean<Array<{ _id: string }>>()
          .exec(),
      (gateway) => gateway._id,
    );
    return new Set(found.map((gateway) => gateway._id));
  }

  /**
   * The gateways whose latest deployment is one of these, with its state as their documents show it:
   * one query per tick of the rollout controller, however many targets are pending.
   */
  async upgradesOfDeployments(deploymentIds: readonly string[]): Promise<Map<string, GatewayUpgrade>> {
    const upgrades = new Map<string, GatewayUpgrade>();
    for (let offset = 0; offset < deploymentIds.length; offset += ID_LIST_MAX) {
      const found = await this.gateways
        .find({ 'upgrade.deploymentId': { $in: deploymentIds.slice(offset, offset + ID_LIST_MAX) } }, { _id: 1, upgrade: 1 })
        .lean<{ _id: string; upgrade: GatewayUpgrade | null }[]>();
      for (const gateway of found) if (gateway.upgrade) upgrades.set(gateway._id, gateway.upgrade);
    }
    return upgrades;
  }

  /**
   * Adds and removes tags on every matching gateway, one write per gateway by _id. A gateway
   * that would exceed GATEWAY_TAGS_MAX keeps its tags; the write re-checks the count it read.
   */
  async bulkTag(principal: Principal, dto: BulkTagGatewaysDto): Promise<BulkTagResultDto> {
    assertCanManageGateways(principal);
    const scope = this.assertWithinTenant(principal, dto.filter);
    const add = dto.add ?? [];
    const remove = (dto.remove ?? []).filter((tag) => !add.includes(tag));
    if (add.length === 0 && remove.length === 0) throw new DomainError(DomainErrorCode.INVALID_INPUT, 'Give tags to add or to remove');
    const matched = await this.gateways
      .find(await this.targetFilter(dto.filter, scope), { _id: 1, companyId: 1, tags: 1 })
      .limit(GATEWAY_SELECTION_MAX + 1)
      .lean<{ _id: string; companyId: string; tags?: string[] }[]>();
    if (matched.length > GATEWAY_SELECTION_MAX) {
      throw new DomainError(DomainErrorCode.INVALID_INPUT, `The filter matches more than ${GATEWAY_SELECTION_MAX} gateways; narrow it`);
    }
    let skipped = 0;
    const changed: { gatewayId: string; companyId: string; before: string[]; tags: string[] }[] = [];
    for (const gateway of matched) {
      const current = gateway.tags ?? [];
      const tags = [...new Set([...current.filter((tag) => !remove.includes(tag)), ...add])].sort();
      if (tags.length > GATEWAY_TAGS_MAX) skipped += 1;
      else if (tags.join(',') !== [...current].sort().join(',')) changed.push({ gatewayId: gateway._id, companyId: gateway.companyId, before: current, tags });
    }
    await this.store.retag(changed);
    const companies = [...new Set(changed.map((gateway) => gateway.companyId))];
    if (changed.length > 0) await this.gatewaysService.listsChanged();
    await this.events.recordMany(
      companies.map((companyId) => ({
        type: 'gateways.tagged',
        companyId,
        actor: principal,
        details: {
          add,
          remove,
          gatewayIds: changed
            .filter((gateway) => gateway.companyId === companyId)
            .slice(0, 100)
            .map((gateway) => gateway.gatewayId),
        },
      })),
    );
    for (const companyId of companies) this.live.publish({ type: 'gateways.tagged', companyId, data: { add, remove } });
    return { matched: matched.length, changed: changed.length, skipped };
  }
}
