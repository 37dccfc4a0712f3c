import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import {
  pageWindow,
  ROLLOUT_MAX_TARGETS,
  SUPER_COMPANY_ID,
  type CreateRolloutDto,
  type EventType,
  type GatewayFilterDto,
  type ListRolloutTargetsQueryDto,
  type ListRolloutsQueryDto,
  type RolloutAction,
  type RolloutDetailDto,
  type RolloutListDto,
  type RolloutTargetListDto,
  type RolloutState,
} from '@upgrade-manager/dto';
import { isValidObjectId, Types, type FilterQuery, type Model } from 'mongoose';
import type { Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { EventsService } from '../events/events.service';
import { GatewaySelectionService } from '../gateways/gateway-selection.service';
import { LiveEventsService } from '../live/live-events.service';
import { VersionsService } from '../versions/versions.service';
import { DeploymentRolloutTargets } from './deployment-rollout-targets';
import { emptyTargetCounts, openCount, storedCounts, sumCounts, type TargetCounts } from './rollout-decision';
import { toPhaseDtos, toRolloutDto, type StoredRollout } from './rollout.mapper';
import { RolloutOrderStore } from './rollout-order.store';
import { phaseAt, phaseDelays, phaseEnds, randomOrder } from './rollout-plan';
import { rolloutTargetId, type RolloutTarget } from './rollout-target.schema';
import { RolloutTargetsStore } from './rollout-targets.store';
import { Rollout } from './rollout.schema';
import { assertCanRunRollouts, canSeeRollout } from './rollouts.policy';

const FAILURES_SHOWN = 200;
// Rollouts still moving per company (or across companies): each costs the controller work every tick.
export const ACTIVE_ROLLOUTS_MAX = 20;

/** The company a rollout's events and live updates go to: its own, or the super company's for one across companies. */
export function rolloutEventCompany(rollout: Pick<Rollout, 'companyId'>): string {
  return rollout.companyId ?? SUPER_COMPANY_ID;
}

/** Creating, reading and steering rollouts; the RolloutController moves them on. */
@Injectable()
export class RolloutsService {
  private readonly logger = new Logger(RolloutsService.name);

  constructor(
    @InjectModel(Rollout.name) private readonly rollouts: Model<Rollout>,
    private readonly targets: RolloutTargetsStore,
    private readonly deploymentTargets: DeploymentRolloutTargets,
    private readonly order: RolloutOrderStore,
    private readonly selection: GatewaySelectionService,
    private readonly versions: VersionsService,
    private readonly events: EventsService,
    private readonly live: LiveEventsService,
  ) {}

  /**
   * Snapshots the matching gateways in a random order and cuts it into phases. The targets are
   * written before the rollout, so a crash in between leaves only unreferenced targets.
   */
  async create(principal: Principal, dto: CreateRolloutDto): Promise<RolloutDetailDto> {
    assertCanRunRollouts(principal);
    const scope = this.selection.assertWithinTenant(principal, dto.filter);
    const companyId = scope.companyId ?? dto.filter.companyId ?? null;
    // Plain deployments (one-phase rollouts) do not count: they never had this limit.
    if ((await this.rollouts.countDocuments({ companyId, settled: false, deploymentId: null })) >= ACTIVE_ROLLOUTS_MAX) {
      throw new DomainError(DomainErrorCode.CONFLICT, `At most ${ACTIVE_ROLLOUTS_MAX} rollouts may be active at once; cancel or finish one first`);
    }
    if (!(await this.versions.exists(dto.version))) throw new DomainError(DomainErrorCode.NOT_FOUND, `Version ${dto.version} does not exist`);
    const matched = await this.selection.select(scope, dto.filter, ROLLOUT_MAX_TARGETS + 1);
    if (matched.length > ROLLOUT_MAX_TARGETS) {
      throw new DomainError(DomainErrorCode.INVALID_INPUT, `The filter matches more than ${ROLLOUT_MAX_TARGETS} gateways; narrow it`);
    }
    if (matched.length === 0 && !dto.continuous) throw new DomainError(DomainErrorCode.NOT_FOUND, 'No enabled gateway matches the filter');

    const id = new Types.ObjectId();
    const rolloutId = id.toString();
    const ends = phaseEnds(matched.length, dto.phases);
    const order = randomOrder(matched.length).slice(0, ends[ends.length - 1] ?? 0);
    const delays = phaseDelays(ends, (dto.jitterSeconds ?? 0) * 1000);
    const targets: RolloutTarget[] = order.map((gatewayIndex, position) =>
      newTarget(rolloutId, matched[gatewayIndex], phaseAt(position, ends), position, delays[position]),
    );
    await this.targets.insert(targets);
    await this.order.append(
      rolloutId,
      0,
      targets.map((target) => ({ gatewayId: target.gatewayId, delayMs: target.delayMs })),
    );
    const actor = { userId: principal.userId, email: principal.email, role: principal.role, companyId: principal.companyId };
    await this.rollouts.create({
      _id: id,
      version: dto.version,
      companyId,
      filter: definedFields(dto.filter),
      phases: dto.phases.map((phase, index) => ({
        percent: phase.percent ?? null,
        count: phase.count ?? null,
        end: ends[index],
        startedAt: null,
        finishedAt: null,
        counts: { ...emptyTargetCounts(), waiting: ends[index] - (ends[index - 1] ?? 0) },
      })),
      successThreshold: dto.successThreshold ?? 1,
      autoAdvance: dto.autoAdvance ?? true,
      abort: dto.abort ? { failureRate: dto.abort.failureRate, minFinished: dto.abort.minFinished } : null,
      maxPerMinute: dto.maxPerMinute ?? null,
      jitterSeconds: dto.jitterSeconds ?? 0,
      window: dto.window ? { days: dto.window.days, from: dto.window.from, to: dto.window.to, timeZone: dto.window.timeZone } : null,
      retries: dto.retries ? { max: dto.retries.max, backoffSeconds: dto.retries.backoffSeconds } : null,
      continuous: dto.continuous ?? false,
      deploymentId: null,
      state: 'scheduled',
      stateReason: null,
      currentPhase: 0,
      targetCount: targets.length,
      createdBy: actor,
      settled: false,
    });
    this.logger.log(`Rollout ${rolloutId}: version ${dto.version} to ${targets.length} gateway(s) in ${dto.phases.length} phase(s) by ${principal.email}`);
    await this.recordEvent('rollout.created', { companyId }, principal, rolloutId, {
      version: dto.version,
      targets: targets.length,
      phases: dto.phases.length,
    });
    return this.get(principal, rolloutId);
  }

  async list(principal: Principal, query: ListRolloutsQueryDto): Promise<RolloutListDto> {
    const conditions: FilterQuery<Rollout>[] = [];
    if (principal.role !== 'super') conditions.push({ companyId: principal.companyId });
    if (query.state !== undefined) conditions.push({ state: query.state });
    const filter = conditions.length === 0 ? {} : { $and: conditions };
    const { offset, limit } = pageWindow(query);
    const [rollouts, total] = await Promise.all([
      this.rollouts.find(filter).sort({ createdAt: -1, _id: -1 }).skip(offset).limit(limit).lean<StoredRollout[]>(),
      this.rollouts.countDocuments(filter),
    ]);
    const items = await Promise.all(rollouts.map(async (rollout) => toRolloutDto(rollout, await this.countsOf(rollout), principal)));
    return { items, total, offset, limit };
  }

  async get(principal: Principal, id: string): Promise<RolloutDetailDto> {
    const rollout = await this.findVisible(principal, id);
    const phaseCounts = await this.countsOf(rollout);
    const counts = sumCounts(phaseCounts);
    // Only looked for when there are some: FerretDB scans the targets for it.
    const failures = counts.failed === 0 ? [] : await this.failuresOf(rollout);
    const secondsLeft =
      rollout.maxPerMinute && ['scheduled', 'running'].includes(rollout.state) ? Math.ceil((openCount(counts) / rollout.maxPerMinute) * 60) : null;
    return {
      ...toRolloutDto(rollout, phaseCounts, principal),
      phases: toPhaseDtos(rollout, phaseCounts),
      failures: failures.map((target) => ({
        gatewayId: target.gatewayId,
        companyId: target.companyId,
        reason: target.reason ?? 'unknown',
        attempts: target.attempts,
      })),
      secondsLeft,
    };
  }

  async listTargets(principal: Principal, id: string, query: ListRolloutTargetsQueryDto): Promise<RolloutTargetListDto> {
    const rollout = await this.findVisible(principal, id);
    const { offset, limit } = pageWindow(query);
    if (rollout.targetsOfDeployment) {
      // One phase (0), every target in it: without a state, a page reads only its targets.
      if (query.phase !== undefined && query.phase !== 0) return { items: [], total: 0, offset, limit };
      const page = query.state === undefined ? await this.deploymentTargets.targetPage(rollout, offset, limit) : null;
      if (page) return { ...page, offset, limit };
      const listed = (await this.deploymentTargets.targets(rollout)).filter(
        (target) => (query.phase === undefined || target.phase === query.phase) && (query.state === undefined || target.state === query.state),
      );
      return { items: listed.slice(offset, offset + limit), total: listed.length, offset, limit };
    }
    const filter: Record<string, unknown> = { rolloutId: id };
    if (query.phase !== undefined) filter['phase'] = query.phase;
    if (query.state !== undefined) filter['state'] = query.state;
    const [targets, total] = await Promise.all([this.targets.find(filter, undefined, { sort: { order: 1 }, skip: offset, limit }), this.targets.count(filter)]);
    return {
      items: targets.map((target) => ({
        gatewayId: target.gatewayId,
        companyId: target.companyId,
        phase: target.phase,
        state: target.state,
        attempts: target.attempts,
        reason: target.reason ?? null,
        deploymentId: target.deploymentId ?? null,
        startedAt: target.startedAt?.toISOString() ?? null,
        decidedAt: target.decidedAt?.toISOString() ?? null,
      })),
      total,
      offset,
      limit,
    };
  }

  /** pause | resume | cancel | approve: a conditional change from the states the action applies to. */
  async act(principal: Principal, id: string, action: RolloutAction): Promise<RolloutDetailDto> {
    assertCanRunRollouts(principal);
    const rollout = await this.findVisible(principal, id);
    const now = new Date();
    const change = actionChange(action, rollout, now);
    const updated = await this.rollouts.findOneAndUpdate({ _id: rollout._id, ...change.from }, change.update, { new: true }).lean<StoredRollout>();
    if (!updated) throw new DomainError(DomainErrorCode.CONFLICT, `Cannot ${action} a rollout that is ${rollout.state}`);
    await this.recordEvent(ACTION_EVENTS[action], rollout, principal, id, { version: rollout.version, phase: rollout.currentPhase + 1 });
    this.publishUpdate(updated);
    return this.get(principal, id);
  }

  publishUpdate(rollout: Pick<StoredRollout, '_id' | 'companyId' | 'state'>): void {
    this.live.publish({ type: 'rollout.updated', companyId: rolloutEventCompany(rollout), data: { rolloutId: rollout._id.toString(), state: rollout.state } });
  }

  async recordEvent(
    type: EventType,
    rollout: Pick<Rollout, 'companyId'>,
    actor: Principal | null,
    rolloutId: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.events.record({ type, companyId: rolloutEventCompany(rollout), actor, details: { rolloutId, ...details } });
  }

  /** The failed targets shown, the last decided first. */
  private async failuresOf(rollout: StoredRollout): Promise<Pick<RolloutTarget, 'gatewayId' | 'companyId' | 'reason' | 'attempts'>[]> {
    if (!rollout.targetsOfDeployment) {
      return this.targets.find({ rolloutId: rollout._id.toString(), state: 'failed' }, undefined, { sort: { decidedAt: -1 }, limit: FAILURES_SHOWN });
    }
    const failed = (await this.deploymentTargets.targets(rollout)).filter((target) => target.state === 'failed');
    return failed.sort((a, b) => (b.decidedAt ?? '').localeCompare(a.decidedAt ?? '')).slice(0, FAILURES_SHOWN);
  }

  /** Per phase and state: kept in the rollout document; counted from its targets for rollouts made before that. */
  private async countsOf(rollout: StoredRollout): Promise<TargetCounts[]> {
    return storedCounts(rollout.phases) ?? (await this.targets.countsByPhase(rollout._id.toString(), rollout.phases.length));
  }

  private async findVisible(principal: Principal, id: string): Promise<StoredRollout> {
    const rollout = isValidObjectId(id) ? await this.rollouts.findById(id).lean<StoredRollout>() : null;
    if (!rollout || !canSeeRollout(principal, rollout.companyId ?? null)) throw new DomainError(DomainErrorCode.NOT_FOUND, `Rollout ${id} not found`);
    return rollout;
  }
}

const ACTION_EVENTS: Record<RolloutAction, EventType> = {
  pause: 'rollout.paused',
  resume: 'rollout.resumed',
  cancel: 'rollout.cancelled',
  approve: 'rollout.approved',
};

const ACTIVE_STATES: RolloutState[] = ['scheduled', 'running', 'waiting-approval'];

function actionChange(action: RolloutAction, rollout: StoredRollout, now: Date): { from: FilterQuery<Rollout>; update: Record<string, unknown> } {
  switch (action) {
    case 'pause':
      return { from: { state: { $in: ACTIVE_STATES } }, update: { $set: { state: 'paused', stateReason: null } } };
    case 'resume':
      // Back to running: the controller puts it into waiting-approval again if its phase still waits.
      return { from: { state: 'paused' }, update: { $set: { state: rollout.startedAt ? 'running' : 'scheduled', stateReason: null } } };
    case 'cancel':
      return { from: { state: { $in: [...ACTIVE_STATES, 'paused'] } }, update: { $set: { state: 'cancelled', stateReason: null, finishedAt: now } } };
    case 'approve': {
      const phase = rollout.currentPhase;
      const from = { state: 'waiting-approval', currentPhase: phase };
      if (phase === rollout.phases.length - 1) {
        return { from, update: { $set: { state: 'finished', stateReason: 'approved', finishedAt: now, [`phases.${phase}.finishedAt`]: now } } };
      }
      return {
        from,
        update: {
          $set: { state: 'running', stateReason: null, currentPhase: phase + 1, [`phases.${phase}.finishedAt`]: now, [`phases.${phase + 1}.startedAt`]: now },
        },
      };
    }
  }
}

export function newTarget(rolloutId: string, gateway: { gatewayId: string; companyId: string }, phase: number, order: number, delayMs: number): RolloutTarget {
  return {
    _id: rolloutTargetId(rolloutId, gateway.gatewayId),
    rolloutId,
    gatewayId: gateway.gatewayId,
    companyId: gateway.companyId,
    phase,
    order,
    delayMs,
    state: 'waiting',
    attempts: 0,
    claim: null,
    deploymentId: null,
    startedAt: null,
    retryAt: null,
    decidedAt: null,
    reason: null,
  };
}

/** The filter as stored and shown: only the criteria given. */
function definedFields(filter: GatewayFilterDto): GatewayFilterDto {
  return Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined && value !== null)) as GatewayFilterDto;
}
