import type { RolloutDto, RolloutPhaseDto } from '@upgrade-manager/dto';
import type { Types } from 'mongoose';
import type { Principal } from '../auth/principal';
import { emptyTargetCounts, sumCounts, type TargetCounts } from './rollout-decision';
import type { Rollout } from './rollout.schema';
import { allowedActions } from './rollouts.policy';

export type StoredRollout = Rollout & { _id: Types.ObjectId; createdAt: Date };

export function toRolloutDto(rollout: StoredRollout, phaseCounts: readonly TargetCounts[], principal: Principal): RolloutDto {
  return {
    id: rollout._id.toString(),
    version: rollout.version,
    state: rollout.state,
    stateReason: rollout.stateReason ?? null,
    companyId: rollout.companyId ?? null,
    filter: rollout.filter,
    successThreshold: rollout.successThreshold,
    autoAdvance: rollout.autoAdvance,
    abort: rollout.abort ?? null,
    maxPerMinute: rollout.maxPerMinute ?? null,
    jitterSeconds: rollout.jitterSeconds ?? 0,
    window: rollout.window ?? null,
    retries: rollout.retries ?? null,
    continuous: rollout.continuous ?? false,
    deploymentId: rollout.deploymentId ?? null,
    currentPhase: rollout.currentPhase,
    targets: rollout.targetCount,
    counts: sumCounts(phaseCounts),
    createdBy: { userId: rollout.createdBy.userId, email: rollout.createdBy.email },
    createdAt: rollout.createdAt.toISOString(),
    startedAt: rollout.startedAt?.toISOString() ?? null,
    finishedAt: rollout.finishedAt?.toISOString() ?? null,
    actions: allowedActions(principal, rollout.state),
  };
}

export function toPhaseDtos(rollout: Rollout, phaseCounts: readonly TargetCounts[]): RolloutPhaseDto[] {
  return rollout.phases.map((phase, index) => {
    const counts = phaseCounts[index] ?? emptyTargetCounts();
    const state = phase.finishedAt ? 'done' : phase.startedAt ? 'running' : 'pending';
    return {
      percent: phase.percent ?? null,
      count: phase.count ?? null,
      state,
      targets: Object.values(counts).reduce((sum, value) => sum + value, 0),
      counts,
      startedAt: phase.startedAt?.toISOString() ?? null,
      finishedAt: phase.finishedAt?.toISOString() ?? null,
    };
  });
}
