import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import {
  pageWindow,
  type CreateDeploymentDto,
  type DeploymentCreatedDto,
  type DeploymentDetailDto,
  type DeploymentListDto,
  type DeploymentScope,
  type ListDeploymentsQueryDto,
  type UpgradeStatus,
} from '@upgrade-manager/dto';
import { isValidObjectId, type FilterQuery, type Model } from 'mongoose';
import { tenantScopeOf, type Principal, type TenantScope } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { AppConfigService } from '../config/app-config.service';
import { EventsService } from '../events/events.service';
import { GatewayMessenger } from '../gateway-protocol/gateway-messenger.service';
import { ApiInstances } from '../cluster/api-instances.service';
import { Gateway, type GatewayUpgrade } from '../gateways/gateway.schema';
import { LiveEventsService } from '../live/live-events.service';
import { VersionsService } from '../versions/versions.service';
import { addToCounts, emptyCounts, toDeploymentDto, toTargetDto, type StoredDeployment } from './deployment.mapper';
import { DeploymentTarget } from './deployment-target.schema';
import { Deployment } from './deployment.schema';
import { DeploymentTracker, type StoredTarget } from './deployment-tracker.service';
import { assertCanDeploy } from './deployments.policy';
import { targetIdOf } from './target-id';

interface TargetGateway {
  gatewayId: string;
  companyId: string;
  /** The gateway's copy of its latest deployment: a pending one is superseded. */
  upgrade?: GatewayUpgrade | null;
}

interface ResolvedTargets {
  gateways: TargetGateway[];
  /** Disabled gateways were left out of a deployment to a company or to all. */
  skipsDisabled: boolean;
}

const ID_LIST_QUERY_MAX = 100;

function scopeOf(dto: CreateDeploymentDto): DeploymentScope {
  if (dto.all) return 'all';
  return dto.companyId !== undefined ? 'company' : 'gateways';
}

/** Creating deployments (publishing Upgrade) and reading them back, scoped by tenant. */
@Injectable()
export class DeploymentsService {
  private readonly logger = new Logger(DeploymentsService.name);

  constructor(
    @InjectModel(Deployment.name) private readonly deployments: Model<Deployment>,
    @InjectModel(DeploymentTarget.name) private readonly targets: Model<DeploymentTarget>,
    @InjectModel(Gateway.name) private readonly gateways: Model<Gateway>,
    private readonly versions: VersionsService,
    private readonly messenger: GatewayMessenger,
    private readonly tracker: DeploymentTracker,
    private readonly events: EventsService,
    private readonly live: LiveEventsService,
    private readonly config: AppConfigService,
    private readonly instances: ApiInstances,
  ) {}

  async create(principal: Principal, dto: CreateDeploymentDto): Promise<DeploymentCreatedDto> {
    const scope = scopeOf(dto);
    assertCanDeploy(principal, scope === 'all');
    const { gateways, skipsDisabled } = await this.resolveTargets(tenantScopeOf(principal), dto, scope);
    const content = await this.versions.readContent(dto.version);
    if (content === null) throw new DomainError(DomainErrorCode.NOT_FOUND, `Version ${dto.version} does not exist`);

    const gatewayIds = gateways.map((gateway) => gateway.gatewayId);
    const companyIds = [...new Set(gateways.map((gateway) => gateway.companyId))].sort();
    const now = new Date();
    const deadline = new Date(now.getTime() + this.config.get('DEPLOYMENT_TIMEOUT_S') * 1000);
    const actor = { userId: principal.userId, email: principal.email };
    const deployment = await this.deployments.create({ version: dto.version, scope, companyIds, targetCount: gateways.length, createdBy: actor });
    const id = deployment._id.toString();
    // createdAt is set here because a Status counts for a target only when received after it.
    const targets: StoredTarget[] = gateways.map(({ gatewayId, companyId }) => ({
      _id: targetIdOf(id, gatewayId),
      deploymentId: id,
      gatewayId,
      companyId,
      version: dto.version,
      status: 'pending',
      reason: null,
      reportedVersion: null,
      deadline,
      published: false,
      publisher: this.instances.processId,
      recorded: true,
      createdAt: now,
      updatedAt: now,
    }));
    const superseded = gateways.flatMap(({ gatewayId, upgrade }) => (upgrade?.status === 'pending' && upgrade.deploymentId !== id ? [targetIdOf(upgrade.deploymentId, gatewayId)] : []));
    // Every gateway of the fleet: the broadcast topic, unless a disabled gateway would hear it too.
    const broadcast = scope === 'all' && !skipsDisabled;
    const frame = this.messenger.encodeImageFrame(content);
    await this.tracker.startDeployment(targets, { deploymentId: id, version: dto.version }, superseded, () => this.publish(id, frame, gatewayIds, broadcast));
    this.logger.log(`Deployment ${id}: version ${dto.version} to ${gateways.length} gateway(s) (${scope}) by ${principal.email}`);
    await this.events.recordMany(
      // Dated at the deployment, before any confirmation, however the writes interleave.
      gateways.map((gateway) => ({ type: 'software.deployed', at: now, companyId: gateway.companyId, actor, gatewayId: gateway.gatewayId, details: { deploymentId: id, version: dto.version } })),
    );
    for (const companyId of companyIds) {
      const ids = gateways.filter((gateway) => gateway.companyId === companyId).map((gateway) => gateway.gatewayId);
      this.live.publish({ type: 'deployment.created', companyId, data: { deploymentId: id, version: dto.version, gatewayIds: ids } });
    }
    return { id, version: dto.version, targets: targets.map(toTargetDto) };
  }

  async list(principal: Principal, query: ListDeploymentsQueryDto): Promise<DeploymentListDto> {
    const scope = tenantScopeOf(principal);
    const conditions: FilterQuery<Deployment>[] = [];
    if (scope.companyId !== null) conditions.push({ companyIds: scope.companyId });
    if (query.companyId !== undefined) conditions.push({ companyIds: query.companyId });
    if (query.version !== undefined) conditions.push({ version: query.version });
    const filter = conditions.length === 0 ? {} : { $and: conditions };
    const { offset, limit } = pageWindow(query);
    const [deployments, total] = await Promise.all([
      this.deployments.find(filter).sort({ createdAt: -1, _id: -1 }).skip(offset).limit(limit).lean<StoredDeployment[]>(),
      this.deployments.countDocuments(filter),
    ]);
    const ids = deployments.map((deployment) => deployment._id.toString());
    const groups = await this.targets.aggregate<{ _id: { deploymentId: string; status: UpgradeStatus }; count: number }>([
      { $match: { deploymentId: { $in: ids }, ...(scope.companyId === null ? {} : { companyId: scope.companyId }) } },
      { $group: { _id: { deploymentId: '$deploymentId', status: '$status' }, count: { $sum: 1 } } },
    ]);
    const counts = new Map(ids.map((id) => [id, emptyCounts()]));
    for (const group of groups) {
      const entry = counts.get(group._id.deploymentId);
      if (entry) addToCounts(entry, group._id.status, group.count);
    }
    return {
      items: deployments.map((deployment) => toDeploymentDto(deployment, counts.get(deployment._id.toString()) ?? emptyCounts())),
      total,
      offset,
      limit,
    };
  }

  /** One deployment with the state of each target the caller may see. */
  async get(principal: Principal, id: string): Promise<DeploymentDetailDto> {
    const scope = tenantScopeOf(principal);
    const deployment = isValidObjectId(id)
      ? await this.deployments.findOne({ _id: id, ...(scope.companyId === null ? {} : { companyIds: scope.companyId }) }).lean<StoredDeployment>()
      : null;
    if (!deployment) throw new DomainError(DomainErrorCode.NOT_FOUND, `Deployment ${id} not found`);
    const targets = await this.targets
      .find({ deploymentId: id, ...(scope.companyId === null ? {} : { companyId: scope.companyId }) })
      .sort({ gatewayId: 1 })
      .lean<DeploymentTarget[]>();
    const counts = emptyCounts();
    for (const target of targets) addToCounts(counts, target.status);
    return { ...toDeploymentDto(deployment, counts), targets: targets.map(toTargetDto) };
  }

  /**
   * The enabled gateways a deployment goes to. A list naming a gateway the caller may not see
   * (unknown or another company's) is refused whole, without saying which exists.
   */
  private async resolveTargets(scope: TenantScope, dto: CreateDeploymentDto, kind: DeploymentScope): Promise<ResolvedTargets> {
    const visible: FilterQuery<Gateway> = scope.companyId === null ? {} : { companyId: scope.companyId };
    const projection = { _id: 0, gatewayId: 1, companyId: 1, enabled: 1, upgrade: 1 } as const;
    if (kind === 'gateways') {
      const requested = dto.gatewayIds ?? [];
      const found = await this.findGateways(visible, requested, projection);
      if (found.length !== requested.length) {
        const known = new Set(found.map((gateway) => gateway.gatewayId));
        const missing = requested.filter((gatewayId) => !known.has(gatewayId));
        throw new DomainError(DomainErrorCode.NOT_FOUND, `Unknown gateway(s): ${missing.slice(0, 20).join(', ')}`, { gatewayIds: missing });
      }
      const disabled = found.filter((gateway) => gateway.enabled === false).map((gateway) => gateway.gatewayId);
      if (disabled.length > 0) {
        throw new DomainError(DomainErrorCode.CONFLICT, `Disabled gateway(s) cannot be upgraded: ${disabled.slice(0, 20).join(', ')}`, { gatewayIds: disabled });
      }
      return { gateways: found.map(({ gatewayId, companyId, upgrade }) => ({ gatewayId, companyId, upgrade })), skipsDisabled: false };
    }
    if (kind === 'company' && scope.companyId !== null && dto.companyId !== scope.companyId) {
      throw new DomainError(DomainErrorCode.FORBIDDEN, 'Deployments only reach gateways of your own company');
    }
    const filter: FilterQuery<Gateway> = kind === 'company' ? { companyId: dto.companyId } : {};
    const found = await this.gateways.find(filter, projection).sort({ gatewayId: 1 }).lean<(TargetGateway & { enabled: boolean })[]>();
    const enabled = found.filter((gateway) => gateway.enabled !== false);
    if (enabled.length === 0) throw new DomainError(DomainErrorCode.NOT_FOUND, 'No enabled gateway to deploy to');
    return { gateways: enabled.map(({ gatewayId, companyId, upgrade }) => ({ gatewayId, companyId, upgrade })), skipsDisabled: enabled.length < found.length };
  }

  // FerretDB matches `$in` by comparing each document with every listed id: for thousands of ids,
  // reading the caller's gateways once and picking them out here is far cheaper.
  private async findGateways(visible: FilterQuery<Gateway>, gatewayIds: readonly string[], projection: Record<string, 0 | 1>) {
    type Found = TargetGateway & { enabled: boolean };
    if (gatewayIds.length <= ID_LIST_QUERY_MAX) return this.gateways.find({ ...visible, _id: { $in: gatewayIds } }, projection).lean<Found[]>();
    const wanted = new Set(gatewayIds);
    const all = await this.gateways.find(visible, projection).lean<Found[]>();
    return all.filter((gateway) => wanted.has(gateway.gatewayId));
  }

  /**
   * Re-sends the Upgrade of pending targets that a process which has died had not handed to the
   * broker (each to its gateway's own topic), or fails them when their version is gone. Run by
   * the lease holder of the time-out sweep.
   */
  async republishOrphans(): Promise<number> {
    const { liveProcesses } = await this.instances.census();
    const orphans = await this.tracker.findOrphanedUnpublished(liveProcesses);
    if (orphans.length === 0) return 0;
    await this.tracker.takeOverPublishing(orphans, this.instances.processId);
    const byDeployment = new Map<string, StoredTarget[]>();
    for (const target of orphans) byDeployment.set(target.deploymentId, [...(byDeployment.get(target.deploymentId) ?? []), target]);
    for (const [deploymentId, targets] of byDeployment) {
      const content = await this.versions.readContent(targets[0].version);
      if (content === null) {
        this.logger.warn(`Deployment ${deploymentId}: version ${targets[0].version} is gone; ${targets.length} unpublished target(s) fail`);
        await this.tracker.failUnpublished(targets);
        continue;
      }
      this.logger.warn(`Deployment ${deploymentId}: re-sending the Upgrade a stopped API process left unpublished to ${targets.length} gateway(s)`);
      const failed = new Set(await this.publish(deploymentId, this.messenger.encodeImageFrame(content), targets.map(({ gatewayId }) => gatewayId), false));
      await this.tracker.markPublished(targets.filter(({ gatewayId }) => !failed.has(gatewayId)));
      await this.tracker.failUnpublished(targets.filter(({ gatewayId }) => failed.has(gatewayId)));
    }
    return orphans.length;
  }

  // The response does not wait for the broker: an unreachable broker would hold the request, and
  // the targets' deadline covers an Upgrade that never arrives. Resolves with the gateways whose
  // Upgrade the broker did not take (all of them when the broadcast failed).
  private async publish(deploymentId: string, frame: Buffer, gatewayIds: string[], broadcast: boolean): Promise<string[]> {
    try {
      const failed = await this.messenger.sendUpgrade(frame, broadcast ? undefined : gatewayIds);
      if (failed.length > 0) this.logger.error(`Deployment ${deploymentId}: could not publish Upgrade to ${failed.length} gateway(s)`);
      return failed;
    } catch (error) {
      this.logger.error(`Deployment ${deploymentId}: could not publish Upgrade: ${(error as Error).message}`);
      return gatewayIds;
    }
  }
}
