import type { RolloutDetailDto, RolloutPhaseInputDto } from '@upgrade-manager/dto';
import { InvalidArgumentError } from 'commander';
import { EXIT } from './exit-codes';

/** Where a rollout stands for a pipeline. */
export type RolloutOutcome = 'finished' | 'aborted' | 'cancelled' | 'below-threshold' | 'in-progress';

type RolloutView = Pick<RolloutDetailDto, 'state' | 'currentPhase' | 'successThreshold' | 'phases'>;

/**
 * `below-threshold`: the rollout waits for an approval because its phase ended below the success
 * threshold (every target decided, too few confirmed). A person may still approve it, but a pipeline
 * must not pass. Waiting for the approval of a phase that succeeded, or paused, is still in progress.
 */
export function rolloutOutcome(rollout: RolloutView): RolloutOutcome {
  if (rollout.state === 'finished' || rollout.state === 'aborted' || rollout.state === 'cancelled') return rollout.state;
  if (rollout.state !== 'waiting-approval') return 'in-progress';
  const counts = rollout.phases[rollout.currentPhase]?.counts;
  if (!counts || counts.waiting + counts.starting + counts.pending > 0) return 'in-progress';
  const considered = counts.confirmed + counts.failed;
  return considered > 0 && counts.confirmed / considered < rollout.successThreshold ? 'below-threshold' : 'in-progress';
}

export function rolloutExitCode(outcome: RolloutOutcome): number {
  switch (outcome) {
    case 'finished':
      return EXIT.ok;
    case 'below-threshold':
      return EXIT.targetsFailed;
    case 'aborted':
      return EXIT.rolloutAborted;
    case 'cancelled':
      return EXIT.rolloutCancelled;
    case 'in-progress':
      return EXIT.watchTimedOut;
  }
}

/** "phase 2/3 running: 12 confirmed, 1 failed, 3 pending, 40 waiting". */
export function rolloutProgressLine(rollout: Pick<RolloutDetailDto, 'state' | 'currentPhase' | 'phases' | 'counts'>): string {
  const { counts } = rollout;
  const parts = [
    `${counts.confirmed} confirmed`,
    `${counts.failed} failed`,
    `${counts.pending + counts.starting} pending`,
    `${counts.waiting} waiting`,
    ...(counts.skipped > 0 ? [`${counts.skipped} skipped`] : []),
  ];
  return `phase ${rollout.currentPhase + 1}/${rollout.phases.length} ${rollout.state}: ${parts.join(', ')}`;
}

/** Targets decided (confirmed, failed or skipped). */
export function decidedCount(rollout: Pick<RolloutDetailDto, 'counts'>): number {
  return rollout.counts.confirmed + rollout.counts.failed + rollout.counts.skipped;
}

/** "1%,10%,100%" or "5,100%": a percent of all targets, or a count of more targets, per phase. */
export function parsePhases(value: string): RolloutPhaseInputDto[] {
  const phases = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item): RolloutPhaseInputDto => {
      const percent = /^(\d+(?:\.\d+)?)%$/.exec(item);
      if (percent) return { percent: Number(percent[1]) };
      if (/^\d+$/.test(item)) return { count: Number(item) };
      throw new InvalidArgumentError(`expected phases such as 10%,50%,100% or 5,100%, got "${item}"`);
    });
  if (phases.length === 0) throw new InvalidArgumentError('expected at least one phase');
  return phases;
}
