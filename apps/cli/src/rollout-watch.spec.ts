import type { RolloutDetailDto } from '@upgrade-manager/dto';
import { rolloutRequest } from './commands/rollouts.command';
import { EXIT } from './exit-codes';
import { parsePhases, rolloutExitCode, rolloutOutcome, rolloutProgressLine } from './rollout-watch';

type Counts = RolloutDetailDto['counts'];
const counts = (values: Partial<Counts>): Counts => ({ waiting: 0, starting: 0, pending: 0, confirmed: 0, failed: 0, skipped: 0, ...values });
const phase = (values: Partial<Counts>) => ({
  percent: 50,
  count: null,
  state: 'running' as const,
  targets: 0,
  counts: counts(values),
  startedAt: null,
  finishedAt: null,
});

function rollout(state: RolloutDetailDto['state'], phases: Partial<Counts>[], currentPhase = 0, successThreshold = 1) {
  return { state, currentPhase, successThreshold, phases: phases.map(phase), counts: counts(phases.reduce((sum, entry) => ({ ...sum, ...entry }), {})) };
}

describe('rollout watch', () => {
  it('ends on finished, aborted and cancelled, with their own exit codes', () => {
    expect(rolloutExitCode(rolloutOutcome(rollout('finished', [{ confirmed: 4 }])))).toBe(EXIT.ok);
    expect(rolloutExitCode(rolloutOutcome(rollout('aborted', [{ failed: 4 }])))).toBe(EXIT.rolloutAborted);
    expect(rolloutExitCode(rolloutOutcome(rollout('cancelled', [{ waiting: 4 }])))).toBe(EXIT.rolloutCancelled);
    expect(rolloutExitCode('in-progress')).toBe(EXIT.watchTimedOut);
  });

  it('fails when a phase ended below its threshold, but waits on an approval after a phase that succeeded, or while paused', () => {
    expect(rolloutOutcome(rollout('waiting-approval', [{ confirmed: 3, failed: 1 }, { waiting: 4 }]))).toBe('below-threshold');
    expect(rolloutExitCode('below-threshold')).toBe(EXIT.targetsFailed);
    expect(rolloutOutcome(rollout('waiting-approval', [{ confirmed: 3, failed: 1 }, { waiting: 4 }], 0, 0.7))).toBe('in-progress');
    expect(rolloutOutcome(rollout('waiting-approval', [{ confirmed: 4 }, { waiting: 4 }]))).toBe('in-progress');
    expect(rolloutOutcome(rollout('paused', [{ failed: 4 }]))).toBe('in-progress');
    expect(rolloutOutcome(rollout('running', [{ pending: 4 }]))).toBe('in-progress');
  });

  it('shows the phase and the counts in one line', () => {
    expect(rolloutProgressLine(rollout('running', [{ confirmed: 2 }, { pending: 1, starting: 1, waiting: 3 }], 1))).toBe(
      'phase 2/2 running: 2 confirmed, 0 failed, 2 pending, 3 waiting',
    );
  });

  it('reads phases as percents or counts', () => {
    expect(parsePhases('1%, 10%,100%')).toEqual([{ percent: 1 }, { percent: 10 }, { percent: 100 }]);
    expect(parsePhases('5,100%')).toEqual([{ count: 5 }, { percent: 100 }]);
    expect(() => parsePhases('ten')).toThrow(/10%,50%,100%/);
    expect(() => parsePhases(',')).toThrow(/at least one/);
  });

  it('builds the request with the defaults spelled out and refuses half an abort rule', () => {
    expect(rolloutRequest({ version: '2.0', phases: [{ percent: 100 }], tags: ['canary'], abortFailureRate: 0.2, abortMinFinished: 5 })).toEqual({
      version: '2.0',
      filter: { tags: ['canary'] },
      phases: [{ percent: 100 }],
      successThreshold: 1,
      autoAdvance: true,
      continuous: false,
      abort: { failureRate: 0.2, minFinished: 5 },
    });
    expect(rolloutRequest({ version: '2.0', phases: [{ count: 1 }], approveEach: true, online: false, retries: 2 })).toMatchObject({
      filter: { online: false },
      autoAdvance: false,
      retries: { max: 2, backoffSeconds: 60 },
    });
    expect(() => rolloutRequest({ version: '2.0', phases: [{ count: 1 }], abortFailureRate: 0.2 })).toThrow(/both/);
  });
});
