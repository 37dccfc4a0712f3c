import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import {
  pageWindow,
  type GatewayDto,
  type GatewayHistoryDto,
  type GatewayListDto,
  type GatewaySummaryDto,
  type ListGatewaysQueryDto,
  type UpdateGatewayDto,
} from '@upgrade-manager/dto';
import { compareVersions } from '@upgrade-manager/frame-codec';
import type { Model } from 'mongoose';
import { z } from 'zod';
import { tenantScopeOf, type Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { ClusterBus } from '../cluster/cluster-bus.service';
import { CompaniesService } from '../companies/companies.service';
import { AppConfigService } from '../config/app-config.service';
import { Deployment } from '../deployments/deployment.schema';
import { DeploymentTarget, FAILURE_REASONS, type FailureReason } from '../deployments/deployment-target.schema';
import type { Event } from '../events/event.schema';
import { currentTargets } from '../deployments/target-decision-documents';
import { EventsService } from '../events/events.service';
import { GatewayAdmission } from '../gateway-admission/gateway-admission.service';
import { LiveEventsService } from '../live/live-events.service';
import { toGatewayDto } from './gateway.mapper';
import { gatewayCountKey, gatewayListFilter, gatewayListKey, gatewayListSort, gatewayScopeFilter } from './gateway-query';
import { Gateway } from './gateway.schema';
import { assertCanManageGateways, assertCanMoveGateways } from './gateways.policy';
import { SlowCountCache } from './slow-count-cache';
import { SlowListCache } from './slow-list-cache';
import { GatewaysStore } from './gateways.store';

const HISTORY_DEFAULT_LIMIT = 100;

/** Reading and editing gateways for the web app; the MQTT side writes them in gateway-protocol. */
const LISTS_CHANGED_KIND = 'gateway-lists-changed';

@Injectable()
export class GatewaysService implements OnModuleInit {
  private readonly logger = new Logger(GatewaysService.name);
  private readonly counts = new SlowCountCache();
  private readonly pages = new SlowListCache<Gateway>(undefined, (error) => this.logger.warn(`Refreshing a gateway list snapshot failed: ${String(error)}`));

  constructor(
    @InjectModel(Gateway.name) private readonly gateways: Model<Gateway>,
    @InjectModel(DeploymentTarget.name) private readonly targets: Model<DeploymentTarget>,
    @InjectModel(Deployment.name) private readonly deployments: Model<Deployment>,
    private readonly config: AppConfigService,
    private readonly events: EventsService,
    private readonly live: LiveEventsService,
    private readonly companies: CompaniesService,
    private readonly admission: GatewayAdmission,
    private readonly bus: ClusterBus,
    private readonly store: GatewaysStore,
  ) {}

  onModuleInit(): void {
    this.bus.on(LISTS_CHANGED_KIND, z.object({}), () => this.pages.clear());
  }

  /** An operator changed gateways: every API process forgets its list snapshots, so that lists show the change. */
  async listsChanged(): Promise<void> {
    this.pages.clear();
    await this.bus.publish(LISTS_CHANGED_KIND, {}, 0).catch((error: Error) => this.logger.warn(`Gateway lists not invalidated elsewhere: ${error.message}`));
  }

  /** The oldest lastSeenAt that still counts as online (ONLINE_WINDOW_S). */
  onlineSince(now = new Date()): Date {
    return new Date(now.getTime() - this.config.get('ONLINE_WINDOW_S') * 1000);
  }

  async list(principal: Principal, query: ListGatewaysQueryDto): Promise<GatewayListDto> {
    const onlineSince = this.onlineSince();
    const scope = tenantScopeOf(principal);
    const filter = gatewayListFilter(query, scope, onlineSince);
    const { offset, limit } = pageWindow(query);
    const sort = gatewayListSort(query.sort, query.order);
    // FerretDB scans the collection to count: a slow count is reused for a few seconds.
    const countKey = gatewayCountKey(query, scope);
    const total = () => this.counts.count(countKey, () => this.gateways.countDocuments(filter));
    const read = async (skip: number, items: number) => {
      const [found, count] = await Promise.all([this.gateways.find(filter).sort(sort).skip(skip).limit(items).lean<Gateway[]>(), total()]);
      return { items: found, total: count };
    };
    // FerretDB sorts the whole collection for any page: the first pages of a slow list come from a snapshot a few seconds old.
    const page = await this.pages.page(
      gatewayListKey(query, scope),
      offset,
      limit,
      (items) => read(0, items),
      () => read(offset, limit),
    );
    return { items: page.items.map((gateway) => toGatewayDto(gateway, onlineSince)), total: page.total, offset, limit };
  }

  async get(principal: Principal, gatewayId: string): Promise<GatewayDto> {
    return toGatewayDto(await this.findVisible(principal, gatewayId), this.onlineSince());
  }

  async update(principal: Principal, gatewayId: string, dto: UpdateGatewayDto): Promise<GatewayDto> {
    const existing = await this.findVisible(principal, gatewayId);
    assertCanManageGateways(principal);
    const changes: Partial<Pick<Gateway, 'name' | 'address' | 'latitude' | 'longitude' | 'enabled' | 'tags' | 'companyId'>> = {};
    for (const field of ['name', 'address', 'latitude', 'longitude', 'enabled'] as const) {
      if (dto[field] !== undefined) Object.assign(changes, { [field]: dto[field] });
    }
    if (dto.tags !== undefined) changes.tags = [...dto.tags].sort();
    if (dto.companyId !== undefined && dto.companyId !== existing.companyId) {
      assertCanMoveGateways(principal);
      if (!(await this.companies.exists(dto.companyId))) throw new DomainError(DomainErrorCode.NOT_FOUND, `Company ${dto.companyId} not found`);
      changes.companyId = dto.companyId;
    }
    return this.apply(principal, existing, changes);
  }

  /** Accepts a gateway waiting for approval (GATEWAY_REGISTRATION=approval): from now on it is served. */
  async accept(principal: Principal, gatewayId: string): Promise<GatewayDto> {
    const existing = await this.findVisible(principal, gatewayId);
    assertCanManageGateways(principal);
    return this.apply(principal, existing, { admission: 'accepted' });
  }

  // Conditional on the company read before, so that a concurrent move is not undone.
  private async apply(principal: Principal, existing: Gateway, changes: Partial<Gateway>): Promise<GatewayDto> {
    const gatewayId = existing.gatewayId;
    const updated = await this.store.edit(gatewayId, existing.companyId, changes);
    if (!updated) throw notFound(gatewayId);
    await this.listsChanged();
    if (updated.companyId !== existing.companyId) await this.admission.moved(gatewayId, existing.companyId, updated.companyId);
    const gateway = toGatewayDto(updated, this.onlineSince());
    await this.events.record({ type: 'gateway.modified', companyId: updated.companyId, actor: principal, gatewayId, details: { changes } });
    for (const companyId of new Set([existing.companyId, updated.companyId])) this.live.publish({ type: 'gateway.updated', companyId, data: { gateway } });
    return gateway;
  }

  /** Dashboard numbers with one aggregation for the version distribution and counts for the rest. */
  async summary(principal: Principal): Promise<GatewaySummaryDto> {
    const scope = gatewayScopeFilter(tenantScopeOf(principal));
    const [total, online, pendingUpgrades, groups] = await Promise.all([
      this.gateways.countDocuments(scope),
      this.gateways.countDocuments({ ...scope, lastSeenAt: { $gte: this.onlineSince() } }),
      this.gateways.countDocuments({ ...scope, 'upgrade.status': 'pending' }),
      this.gateways.aggregate<{ _id: string | null; count: number }>([{ $match: scope }, { $group: { _id: '$version', count: { $sum: 1 } } }]),
    ]);
    const versions = groups
      .map((group) => ({ version: group._id ?? null, count: group.count }))
      .sort((a, b) => (a.version === null ? 1 : b.version === null ? -1 : compareVersions(b.version, a.version)));
    return { total, online, offline: total - online, versions, pendingUpgrades };
  }

  async history(principal: Principal, gatewayId: string, limit = HISTORY_DEFAULT_LIMIT): Promise<GatewayHistoryDto> {
    const gateway = await this.findVisible(principal, gatewayId);
    const [events, documents, outcomes] = await Promise.all([
      this.events.list(principal, { gatewayId, limit }),
      // Twice as many: a decided target of an earlier version is two documents, read next to each other (see currentTargets).
      this.targets
        .find({ gatewayId, companyId: gateway.companyId })
        .sort({ createdAt: -1, deploymentId: -1 })
        .limit(limit * 2)
        .lean<DeploymentTarget[]>(),
      // A listed target's decision is its outcome event (see DeploymentTargetsStore).
      this.events.outcomesOfGateway(gatewayId, gateway.companyId, limit),
    ]);
    const documented = currentTargets(documents);
    const documentedIds = new Set(documented.map((target) => target.deploymentId));
    const decided = outcomes.filter((event) => typeof event.details['deploymentId'] === 'string' && !documentedIds.has(event.details['deploymentId']));
    const started = await this.deploymentStarts(decided.map((event) => String(event.details['deploymentId'])));
    const targets = withPendingCopy(
      [...documented, ...decided.map((event) => targetOfOutcome(event, gateway, started))].sort(
        (a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0) || (a.deploymentId < b.deploymentId ? 1 : -1),
      ),
      gateway,
    ).slice(0, limit);
    return {
      events: events.items,
      deployments: targets.map((target) => ({
        deploymentId: target.deploymentId,
        version: target.version,
        status: target.status,
        reason: target.reason ?? null,
        createdAt: (target.createdAt ?? new Date(0)).toISOString(),
        updatedAt: (target.updatedAt ?? new Date(0)).toISOString(),
      })),
    };
  }

  /** When these deployments were made (their targets' createdAt), by id. */
  private async deploymentStarts(deploymentIds: readonly string[]): Promise<Map<string, Date>> {
    if (deploymentIds.length === 0) return new Map();
    const found = await this.deployments
      .find({ _id: { $in: [...new Set(deploymentIds)] } }, { createdAt: 1 })
      .lean<{ _id: unknown; createdAt?: Date }[]>()
      .exec();
    return new Map(found.flatMap(({ _id, createdAt }) => (createdAt ? [[String(_id), createdAt] as const] : [])));
  }

  // Another company's gateway is "not found", so that ids of other tenants do not leak.
  /** The gateway if it exists in the principal's tenant scope; NOT_FOUND otherwise. */
  async findVisible(principal: Principal, gatewayId: string): Promise<Gateway> {
    const gateway = await this.gateways.findOne({ _id: gatewayId, ...gatewayScopeFilter(tenantScopeOf(principal)) }).lean<Gateway>();
    if (!gateway) throw notFound(gatewayId);
    return gateway;
  }
}

/** A gateway's target of a deployment that listed it, as its outcome event decided it (made when its deployment was). */
function targetOfOutcome(event: Event, gateway: Gateway, started: ReadonlyMap<string, Date>): DeploymentTarget {
  const deploymentId = String(event.details['deploymentId']);
  const { reason, reportedVersion } = event.details;
  const createdAt = started.get(deploymentId) ?? event.at;
  return {
    deploymentId,
    gatewayId: gateway.gatewayId,
    companyId: event.companyId,
    version: typeof event.details['version'] === 'string' ? event.details['version'] : '',
    status: event.type === 'upgrade.confirmed' ? 'confirmed' : 'failed',
    reason: FAILURE_REASONS.includes(reason as FailureReason) ? (reason as FailureReason) : null,
    reportedVersion: typeof reportedVersion === 'string' ? reportedVersion : null,
    deadline: createdAt,
    createdAt,
    updatedAt: event.at,
  };
}

/**
 * A deployment's target has no document until it is decided (its targets are listed, see
 * DeploymentTargetsStore): the gateway's pending copy of its upgrade stands for it, newest first.
 */
function withPendingCopy(targets: DeploymentTarget[], gateway: Gateway): DeploymentTarget[] {
  const upgrade = gateway.upgrade;
  if (upgrade?.status !== 'pending' || targets.some((target) => target.deploymentId === upgrade.deploymentId)) return targets;
  const startedAt = upgrade.startedAt ?? new Date(0);
  const pending: DeploymentTarget = {
    deploymentId: upgrade.deploymentId,
    gatewayId: gateway.gatewayId,
    companyId: gateway.companyId,
    version: upgrade.version,
    status: 'pending',
    reason: null,
    reportedVersion: null,
    deadline: startedAt,
    createdAt: startedAt,
    updatedAt: startedAt,
  };
  return [pending, ...targets];
}

function notFound(gatewayId: string): DomainError {
  return new DomainError(DomainErrorCode.NOT_FOUND, `Gateway ${gatewayId} not found`);
}
