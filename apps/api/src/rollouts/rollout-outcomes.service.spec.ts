import { Types } from 'mongoose';
import type { DeploymentTracker, TargetChange, TargetDecisionListener } from '../deployments/deployment-tracker.service';
import type { RolloutBatch } from './rollout-order.schema';
import type { RolloutOrderStore } from './rollout-order.store';
import { OUTCOMES_COALESCE_MS, RolloutOutcomes } from './rollout-outcomes.service';
import type { RolloutMoveBasis, RolloutTargetsStore, TargetMove } from './rollout-targets.store';

const rolloutId = new Types.ObjectId().toHexString();
const deploymentId = new Types.ObjectId().toHexString();
const gatewayIds = Array.from({ length: 12_000 }, (_, index) => `gw-${index}`);

function change(gatewayId: string): TargetChange {
  const target = {
    _id: new Types.ObjectId(),
    deploymentId,
    gatewayId,
    companyId: 'acme',
    version: '2.0',
    status: 'pending',
    reason: null,
    reportedVersion: null,
    deadline: new Date(),
    createdAt: new Date(),
  } as TargetChange['target'];
  return { target, status: 'confirmed', reason: null, reportedVersion: '2.0' };
}

function setUp(gate: () => Promise<void> = async () => undefined, rollout: RolloutMoveBasis | null = { state: 'running', retries: null }) {
  let listener: TargetDecisionListener = async () => undefined;
  const transitions: TargetMove[][] = [];
  const batch: RolloutBatch = { _id: deploymentId, rolloutId, gatewayIds, phases: gatewayIds.map(() => 0), attempts: gatewayIds.map(() => 1) };
  const outcomes = new RolloutOutcomes(
    {
      // As the store does: the moves are built from the rollout its countsVersion bump returned; none when it is gone.
      transitionOf: async (_rolloutId: string, movesOf: (basis: RolloutMoveBasis) => readonly TargetMove[]) => {
        await gate();
        if (rollout === null) return 0;
        const moves = movesOf(rollout);
        transitions.push([...moves]);
        return moves.length;
      },
    } as unknown as RolloutTargetsStore,
    { batchOf: async () => batch } as unknown as RolloutOrderStore,
    { onDecisions: (added: TargetDecisionListener) => (listener = added) } as unknown as DeploymentTracker,
  );
  outcomes.onModuleInit();
  return { outcomes, transitions, decide: (changes: TargetChange[]) => listener(changes) };
}

async function afterMicrotasks(count: number): Promise<void> {
  for (let index = 0; index < count; index++) await Promise.resolve();
}

describe('RolloutOutcomes', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('applies the decisions of one gathering period together, once the period is over', async () => {
    const { transitions, decide } = setUp();
    await decide([change('gw-1'), change('gw-2')]);
    await decide([change('gw-3')]);
    expect(transitions).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(OUTCOMES_COALESCE_MS);
    expect(transitions.map((moves) => moves.map(({ id }) => id))).toEqual([[`${rolloutId}:gw-1`, `${rolloutId}:gw-2`, `${rolloutId}:gw-3`]]);
    await decide([change('gw-4')]);
    await jest.advanceTimersByTimeAsync(OUTCOMES_COALESCE_MS);
    expect(transitions).toHaveLength(2);
  });

  it('gathers for a second: decisions of Statuses a few hundred milliseconds apart are one apply', async () => {
    const { transitions, decide } = setUp();
    await decide([change('gw-1')]);
    await jest.advanceTimersByTimeAsync(600);
    await decide([change('gw-2')]);
    await jest.advanceTimersByTimeAsync(399);
    expect(transitions).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(transitions.map((moves) => moves.map(({ id }) => id))).toEqual([[`${rolloutId}:gw-1`, `${rolloutId}:gw-2`]]);
  });

  it('goes on applying after a period whose decisions an apply still running took', async () => {
    let release = (): void => undefined;
    let blocked = true;
    const { transitions, decide } = setUp(() => (blocked ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve()));
    await decide([change('gw-1')]);
    await jest.advanceTimersByTimeAsync(OUTCOMES_COALESCE_MS);
    // Gathered while gw-1's apply runs: that apply's loop takes it, and its own timer later finds nothing.
    await decide([change('gw-2')]);
    blocked = false;
    release();
    await jest.advanceTimersByTimeAsync(OUTCOMES_COALESCE_MS);
    expect(transitions).toHaveLength(2);
    await decide([change('gw-3')]);
    await jest.advanceTimersByTimeAsync(OUTCOMES_COALESCE_MS);
    expect(transitions.map((moves) => moves.map(({ id }) => id))).toEqual([[`${rolloutId}:gw-1`], [`${rolloutId}:gw-2`], [`${rolloutId}:gw-3`]]);
  });

  it('makes the tracker wait once many decisions are gathered, and applies them at once', async () => {
    const { transitions, decide } = setUp();
    await decide(gatewayIds.slice(0, 10_000).map(change));
    expect(transitions.map((moves) => moves.length)).toEqual([10_000]);
  });

  it('retries a failed target only while its rollout, as the store read it with the counts bump, is in a retrying state', async () => {
    const retries = { max: 2, backoffSeconds: 10 };
    const running = setUp(undefined, { state: 'running', retries });
    await running.outcomes.apply(deploymentId, [{ gatewayId: 'gw-1', status: 'failed', reason: 'timeout' }]);
    const finished = setUp(undefined, { state: 'finished', retries });
    await finished.outcomes.apply(deploymentId, [{ gatewayId: 'gw-1', status: 'failed', reason: 'timeout' }]);
    expect(running.transitions[0]?.map(({ to }) => to)).toEqual(['waiting']);
    expect(finished.transitions[0]?.map(({ to }) => to)).toEqual(['failed']);
  });

  // A rollout that is gone: rollout-target-moves.integration-spec (the store's transitionOf).
  it('moves nothing for outcomes of gateways outside the batch', async () => {
    const { outcomes, transitions } = setUp();
    expect(await outcomes.apply(deploymentId, [{ gatewayId: 'not-in-batch', status: 'confirmed', reason: null }])).toBe(0);
    expect(transitions).toHaveLength(0);
  });

  it('applies a decision gathered while stopping, however soon after the last apply it comes', async () => {
    jest.useRealTimers();
    for (let depth = 0; depth < 12; depth++) {
      let second: Promise<void> | null = null;
      let calls = 0;
      const { outcomes, transitions, decide } = setUp(async () => {
        // After the first apply, the next decision arrives `depth` microtasks later (the race with the drain's end).
        if (calls++ === 0) void afterMicrotasks(depth).then(() => (second = decide([change('gw-8')])));
      });
      await outcomes.onModuleDestroy();
      await decide([change('gw-7')]);
      while (second === null) await Promise.resolve();
      await second;
      expect(transitions.flat().map(({ id }) => id)).toEqual([`${rolloutId}:gw-7`, `${rolloutId}:gw-8`]);
    }
  });

  it('never rejects a drain, even for a failure that is not an Error, and applies what comes next', async () => {
    let calls = 0;
    const { outcomes, transitions, decide } = setUp(async () => {
      if (calls++ === 0) throw undefined;
    });
    await outcomes.onModuleDestroy();
    await expect(decide([change('gw-9')])).resolves.toBeUndefined();
    await decide([change('gw-10')]);
    expect(transitions.flat().map(({ id }) => id)).toEqual([`${rolloutId}:gw-10`]);
  });

  it('applies what is gathered when the module stops', async () => {
    const { outcomes, transitions, decide } = setUp();
    await decide([change('gw-5')]);
    await outcomes.onModuleDestroy();
    expect(transitions).toHaveLength(1);
    // The last Statuses are written after the modules are destroyed: their decisions are applied at once, not after a timer.
    await decide([change('gw-6')]);
    expect(transitions).toHaveLength(2);
  });
});
