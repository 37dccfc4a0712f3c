import { countTargets, decideRollout, emptyTargetCounts, type RolloutProgress, type TargetCounts } from './rollout-decision';

const counts = (values: Partial<TargetCounts>): TargetCounts => ({ ...emptyTargetCounts(), ...values });
const base: RolloutProgress = { phases: [], currentPhase: 0, successThreshold: 1, autoAdvance: true, abort: null, continuous: false };

describe('rollout decision', () => {
  it('advances when the phase reaches its threshold, or waits for approval without autoAdvance', () => {
    const phases = [counts({ confirmed: 9, pending: 1 }), counts({ waiting: 40 })];
    expect(decideRollout({ ...base, phases })).toEqual({ kind: 'continue' });
    expect(decideRollout({ ...base, phases, successThreshold: 0.9 })).toEqual({ kind: 'advance' });
    expect(decideRollout({ ...base, phases, successThreshold: 0.9, autoAdvance: false })).toMatchObject({ kind: 'await-approval' });
  });

  it('finishes after the last phase, unless continuous', () => {
    const phases = [counts({ confirmed: 1 }), counts({ confirmed: 4 })];
    expect(decideRollout({ ...base, phases, currentPhase: 1 })).toEqual({ kind: 'finish' });
    expect(decideRollout({ ...base, phases, currentPhase: 1, continuous: true })).toEqual({ kind: 'continue' });
    // Above the threshold, but not every target of the last phase has started yet (pace, retries).
    expect(decideRollout({ ...base, successThreshold: 0.5, phases: [counts({ confirmed: 3, waiting: 1 })] })).toEqual({ kind: 'continue' });
    // ... or not every one is decided yet.
    expect(decideRollout({ ...base, successThreshold: 0.5, phases: [counts({ confirmed: 3, pending: 1 })] })).toEqual({ kind: 'continue' });
    expect(decideRollout({ ...base, successThreshold: 0.5, phases: [counts({ confirmed: 3, failed: 1 })] })).toEqual({ kind: 'finish' });
  });

  it('a plain deployment (one phase, threshold 0) runs until every target is decided, then finishes whatever failed', () => {
    const plain = { ...base, successThreshold: 0 };
    expect(decideRollout({ ...plain, phases: [counts({ pending: 10 })] })).toEqual({ kind: 'continue' });
    expect(decideRollout({ ...plain, phases: [counts({ confirmed: 6, failed: 3, pending: 1 })] })).toEqual({ kind: 'continue' });
    expect(decideRollout({ ...plain, phases: [counts({ confirmed: 6, failed: 4 })] })).toEqual({ kind: 'finish' });
    expect(decideRollout({ ...plain, phases: [counts({ failed: 10 })] })).toEqual({ kind: 'finish' });
  });

  it('counts targets per phase and state, every phase present', () => {
    const targets = [
      { phase: 0, state: 'confirmed' as const },
      { phase: 0, state: 'failed' as const },
      { phase: 1, state: 'waiting' as const },
      { phase: 1, state: 'waiting' as const },
    ];
    expect(countTargets(targets, 3)).toEqual([counts({ confirmed: 1, failed: 1 }), counts({ waiting: 2 }), counts({})]);
  });

  it('aborts on the failure rate of a phase once enough targets finished', () => {
    const abort = { failureRate: 0.2, minFinished: 5 };
    expect(decideRollout({ ...base, abort, phases: [counts({ failed: 2, confirmed: 2, pending: 6 })] })).toEqual({ kind: 'continue' });
    expect(decideRollout({ ...base, abort, phases: [counts({ failed: 2, confirmed: 3, pending: 5 })] })).toMatchObject({
      kind: 'abort',
      reason: 'phase 1: 2 of 5 finished targets failed',
    });
    expect(decideRollout({ ...base, abort, phases: [counts({ failed: 1, confirmed: 4, pending: 5 })] })).toEqual({ kind: 'continue' });
  });

  it('aborts on the overall rate when no single phase reaches minFinished', () => {
    const abort = { failureRate: 0.2, minFinished: 4 };
    const phases = [counts({ failed: 1, confirmed: 2 }), counts({ failed: 1, pending: 5 })];
    expect(decideRollout({ ...base, abort, currentPhase: 1, phases })).toMatchObject({ kind: 'abort', reason: '2 of 4 finished targets failed' });
  });

  it('waits for approval when a phase ended below its threshold, skipped targets not counting', () => {
    expect(decideRollout({ ...base, phases: [counts({ confirmed: 3, failed: 1 }), counts({ waiting: 1 })] })).toMatchObject({
      kind: 'await-approval',
      reason: 'phase 1 ended below its success threshold (3 of 4 confirmed)',
    });
    expect(decideRollout({ ...base, phases: [counts({ confirmed: 3, skipped: 1 }), counts({ waiting: 1 })] })).toEqual({ kind: 'advance' });
  });
});
