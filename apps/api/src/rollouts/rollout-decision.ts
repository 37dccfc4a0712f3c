import type { RolloutTargetCountsDto, RolloutTargetState } from '@upgrade-manager/dto';
import type { RolloutAbort } from './rollout.schema';

export type TargetCounts = RolloutTargetCountsDto;

export function emptyTargetCounts(): TargetCounts {
  return { waiting: 0, starting: 0, pending: 0, confirmed: 0, failed: 0, skipped: 0 };
}

/** Counts per phase and state of these targets; `phases` entries, however many phases hold targets. */
export function countTargets(targets: readonly { phase: number; state: RolloutTargetState }[], phases: number): TargetCounts[] {
  const counts = Array.from({ length: phases }, emptyTargetCounts);
  for (const target of targets) {
    const entry = counts[target.phase];
    if (entry) entry[target.state] += 1;
  }
  return counts;
}

/** The counts kept in the rollout document; null when it has none yet (made before counts were kept). */
export function storedCounts(phases: readonly { counts?: Partial<TargetCounts> | null }[]): TargetCounts[] | null {
  if (phases.some((phase) => !phase.counts)) return null;
  return phases.map((phase) => ({ ...emptyTargetCounts(), ...phase.counts }));
}

export function sumCounts(counts: readonly TargetCounts[]): TargetCounts {
  const total = emptyTargetCounts();
  for (const entry of counts) for (const key of Object.keys(total) as (keyof TargetCounts)[]) total[key] += entry[key];
  return total;
}

export function openCount(counts: TargetCounts): number {
  return counts.waiting + counts.starting + counts.pending;
}

export interface RolloutProgress {
  phases: readonly TargetCounts[];
  currentPhase: number;
  successThreshold: number;
  autoAdvance: boolean;
  abort: RolloutAbort | null;
  continuous: boolean;
}

export type RolloutDecision =
  | { kind: 'continue' }
  | { kind: 'abort'; reason: string }
  | { kind: 'advance' }
  | { kind: 'await-approval'; reason: string; phaseDone: boolean }
  | { kind: 'finish' };

function exceeds(abort: RolloutAbort, counts: TargetCounts): boolean {
  const finished = counts.confirmed + counts.failed;
  return finished >= abort.minFinished && counts.failed / finished > abort.failureRate;
}

/** What a running rollout does next, from the counts of its targets per phase. */
export function decideRollout(progress: RolloutProgress): RolloutDecision {
  const { phases, currentPhase, abort } = progress;
  if (abort) {
    for (let index = 0; index <= currentPhase && index < phases.length; index += 1) {
      const counts = phases[index];
      if (exceeds(abort, counts)) {
        return { kind: 'abort', reason: `phase ${index + 1}: ${counts.failed} of ${counts.confirmed + counts.failed} finished targets failed` };
      }
    }
    const overall = sumCounts(phases);
    if (exceeds(abort, overall)) return { kind: 'abort', reason: `${overall.failed} of ${overall.confirmed + overall.failed} finished targets failed` };
  }
  const counts = phases[currentPhase];
  const considered = counts.waiting + counts.starting + counts.pending + counts.confirmed + counts.failed;
  const reached = considered === 0 || counts.confirmed / considered >= progress.successThreshold;
  const last = currentPhase === phases.length - 1;
  if (reached) {
    // The last phase finishes once every target of it is decided, so that `finished` means nothing is in flight.
    if (last) return progress.continuous || openCount(counts) > 0 ? { kind: 'continue' } : { kind: 'finish' };
    return progress.autoAdvance
      ? { kind: 'advance' }
      : { kind: 'await-approval', reason: `phase ${currentPhase + 1} reached its success threshold`, phaseDone: true };
  }
  if (openCount(counts) === 0) {
    return {
      kind: 'await-approval',
      reason: `phase ${currentPhase + 1} ended below its success threshold (${counts.confirmed} of ${considered} confirmed)`,
      phaseDone: false,
    };
  }
  return { kind: 'continue' };
}
