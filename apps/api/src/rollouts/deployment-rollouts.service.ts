import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { CreateDeploymentDto, DeploymentCreatedDto, DeploymentRolloutCreatedDto, GatewayFilterDto } from '@upgrade-manager/dto';
import { Types, type Model } from 'mongoose';
import type { Principal } from '../auth/principal';
import { DeploymentsService } from '../deployments/deployments.service';
import { emptyTargetCounts } from './rollout-decision';
import { RolloutOrderStore } from './rollout-order.store';
import { RolloutTargetsStore } from './rollout-targets.store';
import { Rollout } from './rollout.schema';
import { newTarget, RolloutsService } from './rollouts.service';

/**
 * A plain deployment is a rollout of one phase of 100 % (SPEC §5): the deployment is made at once as
 * before, and a rollout whose targets are already pending on it follows it, so that the rollout
 * controller decides its state (running until every target is decided, then finished) and it can be
 * paused, cancelled and watched like any rollout.
 */
@Injectable()
export class DeploymentRolloutsService {
  constructor(
    @InjectModel(Rollout.name) private readonly rollouts: Model<Rollout>,
    private readonly targets: RolloutTargetsStore,
    private readonly order: RolloutOrderStore,
    private readonly deployments: DeploymentsService,
    private readonly rolloutsService: RolloutsService,
  ) {}

  async create(principal: Principal, dto: CreateDeploymentDto): Promise<DeploymentRolloutCreatedDto> {
    const id = new Types.ObjectId();
    const followed: Pick<Rollout, 'companyId' | 'state'>[] = [];
    const created = await this.deployments.create(principal, dto, {
      beforeStart: async (deployment) => void followed.push(await this.follow(id, principal, dto, deployment)),
    });
    for (const rollout of followed) this.rolloutsService.publishUpdate({ _id: id, ...rollout });
    return { ...created, rolloutId: id.toString() };
  }

  /**
   * Targets and the batch first, then the rollout, as RolloutsService.create does, all before the
   * deployment's targets are written and its Upgrade goes out: RolloutOutcomes then finds the batch
   * for every outcome, wherever decided. A crash after the rollout and before the deployment's
   * targets leaves rollout targets that no deployment carries: the controller's recount fails them.
   */
  private async follow(
    id: Types.ObjectId,
    principal: Principal,
    dto: CreateDeploymentDto,
    created: DeploymentCreatedDto,
  ): Promise<Pick<Rollout, 'companyId' | 'state'>> {
    const rolloutId = id.toString();
    const now = new Date();
    await this.targets.insert(
      created.targets.map((target, index) => ({
        ...newTarget(rolloutId, target, 0, index, 0),
        state: 'pending' as const,
        attempts: 1,
        deploymentId: created.id,
        startedAt: now,
      })),
    );
    await this.order.recordBatch({
      _id: created.id,
      rolloutId,
      gatewayIds: created.targets.map((target) => target.gatewayId),
      phases: created.targets.map(() => 0),
      attempts: created.targets.map(() => 1),
    });
    const companyIds = [...new Set(created.targets.map((target) => target.companyId))];
    const companyId = principal.role !== 'super' ? principal.companyId : (dto.companyId ?? (companyIds.length === 1 ? companyIds[0] : null));
    const filter: GatewayFilterDto = dto.companyId !== undefined ? { companyId: dto.companyId } : {};
    const rollout = await this.rollouts.create({
      _id: id,
      version: created.version,
      companyId,
      filter,
      phases: [
        {
          percent: 100,
          count: null,
          end: created.targets.length,
          startedAt: now,
          finishedAt: null,
          counts: { ...emptyTargetCounts(), pending: created.targets.length },
        },
      ],
      // No threshold: every target was sent at once; the rollout finishes when each is decided, whatever failed.
      successThreshold: 0,
      autoAdvance: true,
      abort: null,
      maxPerMinute: null,
      jitterSeconds: 0,
      window: null,
      retries: null,
      continuous: false,
      deploymentId: created.id,
      state: 'running',
      stateReason: null,
      currentPhase: 0,
      targetCount: created.targets.length,
      createdBy: { userId: principal.userId, email: principal.email, role: principal.role, companyId: principal.companyId },
      startedAt: now,
      nextPosition: created.targets.length,
      settled: false,
    });
    return { companyId, state: rollout.state };
  }
}
