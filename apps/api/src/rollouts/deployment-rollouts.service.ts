import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { CreateDeploymentDto, DeploymentCreatedDto, DeploymentRolloutCreatedDto, GatewayFilterDto } from '@upgrade-manager/dto';
import { Types, type Model } from 'mongoose';
import type { Principal } from '../auth/principal';
import { LeaseService } from '../cluster/lease.service';
import { DeploymentsService } from '../deployments/deployments.service';
import { DeploymentRolloutTargets } from './deployment-rollout-targets';
import { ROLLOUT_CONTROLLER_LEASE } from './rollout-controller.service';
import { emptyTargetCounts } from './rollout-decision';
import type { StoredRollout } from './rollout.mapper';
import { Rollout } from './rollout.schema';
import { RolloutsService } from './rollouts.service';

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
    private readonly deployments: DeploymentsService,
    private readonly rolloutsService: RolloutsService,
    private readonly deploymentTargets: DeploymentRolloutTargets,
    private readonly leases: LeaseService,
  ) {}

  async create(principal: Principal, dto: CreateDeploymentDto): Promise<DeploymentRolloutCreatedDto> {
    const id = new Types.ObjectId();
    const followed: Pick<Rollout, 'companyId' | 'state'>[] = [];
    const created = await this.deployments.create(principal, dto, {
      rolloutId: id.toString(),
      beforeStart: async (deployment) => void followed.push(await this.follow(id, principal, dto, deployment)),
    });
    for (const rollout of followed) this.rolloutsService.publishUpdate({ _id: id, ...rollout });
    return { ...created, rolloutId: id.toString() };
  }

  /**
   * The rollout, before the deployment's Upgrade goes out. Its targets are the deployment's (see
   * DeploymentRolloutTargets, which follows the deployment from here on): no rollout target or
   * batch is written, and the controller counts the targets from the deployment's decisions. The deployment and its listed targets are written
   * before: a crash after the rollout leaves a deployment that the sweep publishes again and decides.
   */
  private async follow(
    id: Types.ObjectId,
    principal: Principal,
    dto: CreateDeploymentDto,
    created: DeploymentCreatedDto,
  ): Promise<Pick<Rollout, 'companyId' | 'state'>> {
    const now = new Date();
    // Only where the controller ticks: elsewhere the entry would wait unused (the lease holder reads the deployment once).
    if (this.leases.isHeld(ROLLOUT_CONTROLLER_LEASE)) {
      // One deadline for all of a deployment's targets.
      const deadline = created.targets[0]?.deadline;
      this.deploymentTargets.follow(
        created.id,
        created.targets.map((target) => target.gatewayId),
        now,
        deadline ? new Date(deadline) : null,
      );
    }
    const companyIds = [...new Set(created.targets.map((target) => target.companyId))];
    const companyId = principal.role !== 'super' ? principal.companyId : (dto.companyId ?? (companyIds.length === 1 ? companyIds[0] : null));
    const filter: GatewayFilterDto = dto.companyId !== undefined ? { companyId: dto.companyId } : {};
    // Every field written as the schema would default it (the type asks for each one), through the
    // driver: Mongoose's create (a document, its validation and hooks) took 2.7-3.7 ms of the API's
    // CPU against 0.7-0.8 ms, before the deployment's Upgrade goes out.
    const rollout: StoredRollout & { updatedAt: Date } = {
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
      targetsOfDeployment: true,
      state: 'running',
      stateReason: null,
      currentPhase: 0,
      targetCount: created.targets.length,
      createdBy: { userId: principal.userId, email: principal.email, role: principal.role, companyId: principal.companyId },
      startedAt: now,
      finishedAt: null,
      settled: false,
      joinScannedAt: null,
      nextPosition: created.targets.length,
      startSeq: 0,
      recentStarts: [],
      startingId: null,
      startingAt: null,
      countsVersion: 0,
      createdAt: now,
      updatedAt: now,
    };
    await this.rollouts.collection.insertOne(rollout);
    return { companyId, state: rollout.state };
  }
}
