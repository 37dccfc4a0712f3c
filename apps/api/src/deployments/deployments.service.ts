import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import {
  pageWindow,
  type CreateDeploymentDto,
  type DeploymentCountsDto,
  type DeploymentCreatedDto,
  type DeploymentDetailDto,
  type DeploymentListDto,
  type DeploymentScope,
  type DeploymentTargetDto,
  type ListDeploymentsQueryDto,
  type UpgradeStatus,
} from '@upgrade-manager/dto';
import { isValidObjectId, Types, type FilterQuery, type Model } from 'mongoose';
import { tenantScopeOf, type Principal, type TenantScope } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { ApiInstances } from '../cluster/api-instances.service';
import { AppConfigService } from '../config/app-config.service';
import { EventsService } from '../events/events.service';
import { GatewayMessenger } from '../gateway-messaging/gateway-messenger.service';
import { ImageDeliveryService } from '../image-delivery/image-delivery.service';
import { acceptsDeployments } from '../gateway-admission/accepts-deployments';
import { Gateway } from '../gateways/gateway.schema';
import { GatewaysStore, type TargetCandidate } from '../gateways/gateways.store';
import { LiveEventsService } from '../live/live-events.service';
import { VersionsService } from '../versions/versions.service';
import { addToCounts, emptyCounts, toDeploymentDto, toTargetDto, type StoredDeployment } from './deployment.mapper';
import { DeploymentTarget } from './deployment-target.schema';
import { Deployment } from './deployment.schema';
import { DeploymentTracker, type StoredTarget } from './deployment-tracker.service';
import { assertCanDeploy } from './deployments.policy';
import {
  DeploymentTargetsStore,
  listsTargets,
  TARGETS_SHAPE_FIELDS,
  type RecordedDecision,
  type TargetRef,
  type TargetsShape,
} from './deployment-targets.store';
import { targetId } from './target-lists';
import { Rollout, type RolloutPhaseCounts } from '../rollouts/rollout.schema';

// Above this many targets in the reader's scope, an open deployment's page counts are its rollout's
// (rolloutCountsOf): exact counts read every target's decision, 0.5-1 API CPU s at 10,000.
const EXACT_COUNTS_MAX_TARGETS = 1000;

interface TargetGateway {
  gatewayId: string;
  companyId: string;
}

interface ResolvedTargets {
  gateways: TargetGateway[];
  /** Of those, the ones whose latest Status announced protocol v2. */
  v2Ids: Set<string>;
  /** Disabled gateways were left out of a deployment to a company or to all. */
  skipsDisabled: boolean;
}

function protocolV2Of(gateways: readonly TargetCandidate[]): Set<string> {
  return new Set(gateways.filter((gateway) => gateway.protocol === 2).map((gateway) => gateway.gatewayId));
}

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
    @InjectModel(Rollout.name) private readonly rollouts: Model<Rollout>,
    private readonly targetsStore: DeploymentTargetsStore,
    private readonly gateways: GatewaysStore,
    private readonly versions: VersionsService,
    private readonly messenger: GatewayMessenger,
    private readonly tracker: DeploymentTracker,
    private readonly events: EventsService,
    private readonly live: LiveEventsService,
    private readonly config: AppConfigService,
    private readonly delivery: ImageDeliveryService,
    private readonly instances: ApiInstances,
  ) {}

  /**
   * `options.id`: the deployment's id, chosen by a caller that records it before the Upgrade goes out
   * (rollouts). `options.beforeStart`: told of the deployment and its targets once they are known and
   * before they are written and the Upgrade goes out (a plain deployment's rollout records itself there).
   * `options.rolloutId`: the plain deployment's one-phase rollout, recorded with it (see `list`).
   */
  async create(
    principal: Principal,
    dto: CreateDeploymentDto,
    options: { id?: string; rolloutId?: string; beforeStart?: (deployment: DeploymentCreatedDto) => Promise<void> } = {},
  ): Promise<DeploymentCreatedDto> {
    const scope = scopeOf(dto);
    assertCanDeploy(principal, scope === 'all');
    // Protocol v2 gateways get a signed Offer and chunks (docs/protocol-v2.md); the others the v1 Upgrade.
    const { gateways, skipsDisabled, v2Ids } = await this.resolveTargets(tenantScopeOf(principal), dto, scope);
    const gatewayIds = gateways.map((gateway) => gateway.gatewayId);
    const v1Ids = gatewayIds.filter((gatewayId) => !v2Ids.has(gatewayId));
    const image = await this.versions.get(dto.version);
    this.delivery.assertFitsV1(dto.version, image.size, v1Ids);
    const content = v1Ids.length === 0 ? null : await this.versions.readContent(dto.version);
    if (v1Ids.length > 0 && content === null) throw new DomainError(DomainErrorCode.NOT_FOUND, `Version ${dto.version} does not exist`);

    const targetsPerCompany = new Map<string, number>();
    for (const { companyId } of gateways) targetsPerCompany.set(companyId, (targetsPerCompany.get(companyId) ?? 0) + 1);
    const companyIds = [...targetsPerCompany.keys()].sort();
    const now = new Date();
    const deadline = new Date(now.getTime() + this.config.get('DEPLOYMENT_TIMEOUT_S') * 1000);
    const actor = { userId: principal.userId, email: principal.email };
    const id = options.id ?? new Types.ObjectId().toString();
    // createdAt is set here because a Status counts for a target only when received after it.
    const targets: StoredTarget[] = gateways.map((gateway) => ({
      _id: targetId(id, gateway.gatewayId),
      deploymentId: id,
      ...gateway,
      version: dto.version,
      status: 'pending',
      reason: null,
      reportedVersion: null,
      deadline,
      ...(v2Ids.has(gateway.gatewayId) ? { protocol: 2 as const } : {}),
      createdAt: now,
      updatedAt: now,
    }));
    // Listed before the deployment document that counts them: a process stopping in between leaves
    // lists no deployment names, never a deployment whose targets are not listed.
    await this.targetsStore.insert(id, targets);
    await this.deployments.create({
      _id: new Types.ObjectId(id),
      version: dto.version,
      scope,
      companyIds,
      targetCount: gateways.length,
      companyTargetCounts: companyIds.map((companyId) => targetsPerCompany.get(companyId) ?? 0),
      createdBy: actor,
      published: false,
      publisher: this.instances.processId,
      ...(options.rolloutId ? { rolloutId: options.rolloutId } : {}),
      // Its targets' createdAt: a listed target decided by its outcome event is dated by it (a gateway's history).
      createdAt: now,
    });
    // Every gateway of the fleet: the broadcast topic, unless a disabled gateway would hear it too.
    const broadcast = scope === 'all' && !skipsDisabled && v2Ids.size === 0;
    const frame = content === null ? null : this.messenger.encodeImageFrame(content);
    const v2Targets = gateways.filter((gateway) => v2Ids.has(gateway.gatewayId));
    const created = { id, version: dto.version, targets: targets.map(toTargetDto) };
    await options.beforeStart?.(created);
    let copied: Promise<void> = Promise.resolve();
    await this.tracker.startDeployment(targets, { deploymentId: id }, () => {
      const v1 = frame === null ? null : { frame, gatewayIds: v1Ids, broadcast };
      ({ copied } = this.publish({ deploymentId: id, version: dto.version, startedAt: now, gatewayIds }, v1, v2Targets));
    });
    this.logger.log(`Deployment ${id}: version ${dto.version} to ${gateways.length} gateway(s) (${scope}) by ${principal.email}`);
    // Dated at the deployment, before any confirmation, however the writes interleave.
    const deployed = this.events.recordMany(
      gateways.map((gateway) => ({
        type: 'software.deployed',
        at: now,
        companyId: gateway.companyId,
        actor,
        gatewayId: gateway.gatewayId,
        details: { deploymentId: id, version: dto.version },
      })),
    );
    // The caller reads its gateways as pending once this returns.
    await Promise.all([deployed, copied]);
    // A count, not the gateway ids: thousands of ids would pass the cluster bus's message limit.
    for (const [companyId, targetCount] of targetsPerCompany) {
      this.live.publish({ type: 'deployment.created', companyId, data: { deploymentId: id, version: dto.version, targetCount } });
    }
    return created;
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
    const counts = new Map(deployments.map((deployment) => [deployment._id.toString(), emptyCounts()]));
    // Deployments whose decisions are documents: of earlier versions, and those that listed their
    // targets and were settled before a listed target's decision was only its outcome event.
    const documented: string[] = [];
    const followed = await this.rolloutCountsOf(deployments, scope.companyId);
    await Promise.all(
      deployments.map(async (deployment) => {
        const id = deployment._id.toString();
        const entry = counts.get(id)!;
        if (!listsTargets(deployment)) return documented.push(id);
        if (deployment.companyConfirmedCounts) return addSettledCounts(entry, deployment, scope.companyId);
        const rolloutCounts = followed.get(id);
        if (rolloutCounts) return addRolloutCounts(entry, rolloutCounts);
        if (deployment.settled) {
          // Listed targets have no document until decided: each is pending until then.
          addToCounts(entry, 'pending', targetsInScope(deployment, scope.companyId));
          return documented.push(id);
        }
        for (const target of await this.targetsStore.current(deployment, { companyId: scope.companyId })) addToCounts(entry, target.status);
        return undefined;
      }),
    );
    const groups =
      documented.length === 0
        ? []
        : await this.targets.aggregate<{ _id: { deploymentId: string; status: UpgradeStatus; decision?: true | null }; count: number }>([
            { $match: { deploymentId: { $in: documented }, ...(scope.companyId === null ? {} : { companyId: scope.companyId }) } },
            { $group: { _id: { deploymentId: '$deploymentId', status: '$status', decision: '$decision' }, count: { $sum: 1 } } },
          ]);
    for (const group of groups) {
      const entry = counts.get(group._id.deploymentId);
      if (!entry) continue;
      addToCounts(entry, group._id.status, group.count);
      // Each decision document has its target, as created or listed, counted pending.
      if (group._id.decision) addToCounts(entry, 'pending', -group.count);
    }
    return {
      items: deployments.map((deployment) => toDeploymentDto(deployment, counts.get(deployment._id.toString()) ?? emptyCounts(), scope.companyId)),
      total,
      offset,
      limit,
    };
  }

  /**
   * The counts a large open deployment's rollout keeps (the rollout controller's, seconds behind its
   * decisions), by deployment id: counting from the decisions would read every target, each time
   * the page is shown. Only where the rollout's counts are the reader's: every company's or one.
   */
  private async rolloutCountsOf(deployments: readonly StoredDeployment[], companyId: string | null): Promise<Map<string, RolloutPhaseCounts>> {
    const large = deployments.filter(
      (deployment) =>
        deployment.rolloutId !== undefined &&
        listsTargets(deployment) &&
        !deployment.companyConfirmedCounts &&
        (companyId === null || deployment.companyIds.length === 1) &&
        targetsInScope(deployment, companyId) > EXACT_COUNTS_MAX_TARGETS,
    );
    if (large.length === 0) return new Map();
    const rollouts = await this.rollouts
      .find({ _id: { $in: large.map((deployment) => deployment.rolloutId) } }, { deploymentId: 1, phases: 1 })
      .lean<{ deploymentId: string | null; phases: { counts?: RolloutPhaseCounts }[] }[]>();
    const counts = new Map<string, RolloutPhaseCounts>();
    for (const rollout of rollouts) {
      const phaseCounts = rollout.phases[0]?.counts;
      if (rollout.deploymentId && phaseCounts) counts.set(rollout.deploymentId, phaseCounts);
    }
    return counts;
  }

  /** One deployment with the state of each target the caller may see. */
  async get(principal: Principal, id: string): Promise<DeploymentDetailDto> {
    const scope = tenantScopeOf(principal);
    const deployment = isValidObjectId(id)
      ? await this.deployments.findOne({ _id: id, ...(scope.companyId === null ? {} : { companyIds: scope.companyId }) }).lean<StoredDeployment>()
      : null;
    if (!deployment) throw new DomainError(DomainErrorCode.NOT_FOUND, `Deployment ${id} not found`);
    const targets = (await this.targetsStore.current(deployment, { companyId: scope.companyId })).sort((a, b) =>
      a.gatewayId < b.gatewayId ? -1 : a.gatewayId > b.gatewayId ? 1 : 0,
    );
    const counts = emptyCounts();
    for (const target of targets) addToCounts(counts, target.status);
    const progress = await this.delivery.progressOf(id);
    return {
      ...toDeploymentDto(deployment, counts, scope.companyId),
      targets: targets.map((target) => {
        const delivery = progress.get(target.gatewayId);
        return delivery ? { ...toTargetDto(target), delivery } : toTargetDto(target);
      }),
    };
  }

  /** Some targets of one deployment (every target without `gatewayIds`), for features that start deployments of their own and follow them (rollouts). */
  async targetStates(deploymentId: string, gatewayIds?: readonly string[]): Promise<DeploymentTargetDto[]> {
    if (!isValidObjectId(deploymentId)) return [];
    const [deployment] = await this.targetsStore.shapesOf([deploymentId]);
    return deployment ? (await this.targetsStore.current(deployment, gatewayIds ? { gatewayIds } : {})).map(toTargetDto) : [];
  }

  /**
   * Targets `offset` to `offset + limit` of one deployment in the order created (the order of
   * `targetStates`), and how many it has: reads only those. Null when the deployment is not found
   * or was made by an earlier version (read it whole with `targetStates`).
   */
  async targetPage(deploymentId: string, offset: number, limit: number): Promise<{ targets: DeploymentTargetDto[]; total: number } | null> {
    if (!isValidObjectId(deploymentId)) return null;
    const [deployment] = await this.targetsStore.shapesOf([deploymentId]);
    const page = deployment ? await this.targetsStore.page(deployment, offset, limit) : null;
    return page && deployment ? { targets: page.map(toTargetDto), total: deployment.targetCount } : null;
  }

  /**
   * The decisions recorded among these targets, by `_id` (undecided ones are not found), for
   * deployments made by this version (that list their targets: every deployment a plain
   * deployment's rollout follows).
   */
  decisionsOf(targets: readonly TargetRef[]): Promise<RecordedDecision[]> {
    return targets.length === 0 ? Promise.resolve([]) : this.targetsStore.decisionsOf(targets);
  }

  /**
   * The enabled gateways a deployment goes to. A list naming a gateway the caller may not see
   * (unknown or another company's) is refused whole, without saying which exists.
   */
  private async resolveTargets(scope: TenantScope, dto: CreateDeploymentDto, kind: DeploymentScope): Promise<ResolvedTargets> {
    const visible: FilterQuery<Gateway> = scope.companyId === null ? {} : { companyId: scope.companyId };
    if (kind === 'gateways') {
      const requested = dto.gatewayIds ?? [];
      const found = await this.gateways.findTargets(visible, requested);
      if (found.length !== requested.length) {
        const known = new Set(found.map((gateway) => gateway.gatewayId));
        const missing = requested.filter((gatewayId) => !known.has(gatewayId));
        throw new DomainError(DomainErrorCode.NOT_FOUND, `Unknown gateway(s): ${missing.slice(0, 20).join(', ')}`, { gatewayIds: missing });
      }
      const disabled = found.filter((gateway) => !acceptsDeployments(gateway)).map((gateway) => gateway.gatewayId);
      if (disabled.length > 0) {
        throw new DomainError(DomainErrorCode.CONFLICT, `Disabled or waiting gateway(s) cannot be upgraded: ${disabled.slice(0, 20).join(', ')}`, {
          gatewayIds: disabled,
        });
      }
      return { gateways: found.map(({ gatewayId, companyId }) => ({ gatewayId, companyId })), skipsDisabled: false, v2Ids: protocolV2Of(found) };
    }
    if (kind === 'company' && scope.companyId !== null && dto.companyId !== scope.companyId) {
      throw new DomainError(DomainErrorCode.FORBIDDEN, 'Deployments only reach gateways of your own company');
    }
    const filter: FilterQuery<Gateway> = kind === 'company' ? { companyId: dto.companyId } : {};
    const found = await this.gateways.findTargets(filter);
    const enabled = found.filter(acceptsDeployments);
    if (enabled.length === 0) throw new DomainError(DomainErrorCode.NOT_FOUND, 'No enabled gateway to deploy to');
    return {
      gateways: enabled.map(({ gatewayId, companyId }) => ({ gatewayId, companyId })),
      skipsDisabled: enabled.length < found.length,
      v2Ids: protocolV2Of(enabled),
    };
  }

  /**
   * Deployments a dead API process accepted but had not finished handing to the broker (run by the
   * holder of the sweep's lease): taken over (a conditional write, so one process does it) and
   * published again to their still-pending targets. A gateway that had its Upgrade gets it twice,
   * which installs the same version again; none is left waiting for its time-out.
   */
  async republishOrphans(): Promise<number> {
    const unpublished = await this.deployments
      .find({ published: false }, { version: 1, scope: 1, publisher: 1, ...TARGETS_SHAPE_FIELDS })
      .lean<(StoredDeployment & TargetsShape)[]>();
    if (unpublished.length === 0) return 0;
    const { liveProcesses } = await this.instances.census();
    let count = 0;
    for (const deployment of unpublished) {
      if (deployment.publisher !== null && liveProcesses.has(deployment.publisher)) continue;
      const id = deployment._id.toString();
      const taken = await this.deployments.updateOne(
        { _id: deployment._id, published: false, publisher: deployment.publisher },
        { $set: { publisher: this.instances.processId } },
      );
      if (taken.modifiedCount !== 1) continue;
      const pending = await this.targetsStore.undecided([deployment]);
      if (pending.length === 0) {
        await this.deployments.updateOne({ _id: deployment._id }, { $set: { published: true } });
        continue;
      }
      const v2Ids = await this.delivery.protocolV2Gateways(pending.map((target) => target.gatewayId));
      const v1Ids = pending.map((target) => target.gatewayId).filter((gatewayId) => !v2Ids.has(gatewayId));
      const content = v1Ids.length === 0 ? null : await this.versions.readContent(deployment.version);
      const v1 = content === null ? null : { frame: this.messenger.encodeImageFrame(content), gatewayIds: v1Ids, broadcast: false };
      if (content === null && v1Ids.length > 0) await this.tracker.failUnpublished(id, v1Ids);
      this.logger.warn(`Deployment ${id}: publishing again to ${pending.length} pending target(s), its API process (${deployment.publisher}) is gone`);
      await this.publish(
        { deploymentId: id, version: deployment.version, startedAt: pending[0].createdAt, gatewayIds: pending.map((target) => target.gatewayId) },
        v1,
        pending.filter((target) => v2Ids.has(target.gatewayId)),
      ).done;
      count += pending.length;
    }
    return count;
  }

  // The response does not wait for the broker: an unreachable broker would hold the request, and
  // the targets' deadline covers an Upgrade that never arrives. A failed publish fails the targets
  // it concerned. The gateways' pending copy is written while the Upgrade goes out, not before it
  // (conditional: a decision written meanwhile stays). The deployment is published once every
  // target's Upgrade was handed over or failed and the copies were written: until then a process
  // taking over from a dead one does both again.
  // `copied`: the pending copies are written; `done`: the publish is recorded (or left to the sweep).
  private publish(
    { deploymentId, version, startedAt, gatewayIds }: { deploymentId: string; version: string; startedAt: Date; gatewayIds: string[] },
    v1: { frame: Buffer; gatewayIds: string[]; broadcast: boolean } | null,
    v2Targets: TargetGateway[],
  ): { copied: Promise<void>; done: Promise<void> } {
    const v1Failed = v1 === null ? Promise.resolve([]) : this.messenger.sendUpgrade(v1.frame, v1.broadcast ? undefined : v1.gatewayIds);
    const v2Offered = this.delivery.offer(deploymentId, version, v2Targets);
    // A copy not written shows the gateway's previous upgrade until this one is decided.
    const copied = this.gateways
      .setPendingUpgrades(gatewayIds, { deploymentId, version, startedAt })
      .catch((error: Error) => this.logger.error(`Deployment ${deploymentId}: the gateways' pending copy not written: ${error.message}`));
    return { copied, done: this.recordPublished(deploymentId, version, v1, v2Targets, { v1Failed, v2Offered, copied }) };
  }

  private async recordPublished(
    deploymentId: string,
    version: string,
    v1: { gatewayIds: string[] } | null,
    v2Targets: TargetGateway[],
    sent: { v1Failed: Promise<string[]>; v2Offered: Promise<unknown>; copied: Promise<void> },
  ): Promise<void> {
    const { v1Failed, v2Offered, copied } = sent;
    const failed: string[] = [];
    try {
      failed.push(...(await v1Failed));
    } catch (error) {
      this.logger.error(`Deployment ${deploymentId}: could not publish Upgrade: ${(error as Error).message}`);
      failed.push(...(v1?.gatewayIds ?? []));
    }
    try {
      await v2Offered;
    } catch (error) {
      this.logger.error(`Deployment ${deploymentId}: could not offer ${version} to v2 gateways: ${(error as Error).message}`);
      failed.push(...v2Targets.map((target) => target.gatewayId));
    }
    await copied;
    try {
      if (failed.length > 0) {
        this.logger.error(`Deployment ${deploymentId}: ${failed.length} Upgrade(s) not taken by the broker; their targets fail`);
        await this.tracker.failUnpublished(deploymentId, failed);
      }
      await this.deployments.updateOne({ _id: deploymentId }, { $set: { published: true } });
    } catch (error) {
      // Left unpublished in the database: the sweep's lease holder publishes again once this process is gone.
      this.logger.error(`Deployment ${deploymentId}: publishing not recorded: ${(error as Error).message}`);
    }
  }
}

/** The targets of a deployment that listed them, in one company (null: all). */
function targetsInScope(deployment: Pick<StoredDeployment, 'companyIds' | 'targetCount' | 'companyTargetCounts'>, companyId: string | null): number {
  if (companyId === null) return deployment.targetCount;
  return deployment.companyTargetCounts?.[deployment.companyIds.indexOf(companyId)] ?? 0;
}

/** A deployment's counts as its one-phase rollout keeps them (a target not yet started is pending). */
function addRolloutCounts(counts: DeploymentCountsDto, phase: RolloutPhaseCounts): void {
  addToCounts(counts, 'pending', phase.waiting + phase.starting + phase.pending);
  addToCounts(counts, 'confirmed', phase.confirmed);
  addToCounts(counts, 'failed', phase.failed + phase.skipped);
}

/** The counts of a settled deployment that listed its targets, from its confirmed targets per company (the others failed). */
function addSettledCounts(
  counts: DeploymentCountsDto,
  deployment: Pick<StoredDeployment, 'companyIds' | 'targetCount' | 'companyTargetCounts' | 'companyConfirmedCounts'>,
  companyId: string | null,
): void {
  const confirmed = deployment.companyConfirmedCounts ?? [];
  const index = companyId === null ? -1 : deployment.companyIds.indexOf(companyId);
  const confirmedInScope = companyId === null ? confirmed.reduce((sum, count) => sum + count, 0) : (confirmed[index] ?? 0);
  addToCounts(counts, 'confirmed', confirmedInScope);
  addToCounts(counts, 'failed', targetsInScope(deployment, companyId) - confirmedInScope);
}
