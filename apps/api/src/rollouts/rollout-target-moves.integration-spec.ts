import { Types } from 'mongoose';
import type { RolloutTargetState } from '@upgrade-manager/dto';
import { useThrowawayDatabase } from '../../test/throwaway-database';
import { RolloutTarget, RolloutTargetSchema, rolloutTargetId } from './rollout-target.schema';
import { RolloutTargetsStore, type TargetMove } from './rollout-targets.store';
import { Rollout, RolloutSchema } from './rollout.schema';
import { newTarget } from './rollouts.service';

// Target moves are updateMany statements of `_id` lists: each target still moves only from its own
// state and condition, and the rollout's counts change by exactly what moved.
describe('RolloutTargetsStore.transition (real database)', () => {
  const TARGETS = 250;
  const database = useThrowawayDatabase('rollout-target-moves');
  let store: RolloutTargetsStore;
  const targets = () => database().collection<RolloutTarget>('rollout_targets');
  const rollouts = () => database().collection('rollouts');

  beforeAll(() => {
    store = new RolloutTargetsStore(database().model(RolloutTarget.name, RolloutTargetSchema), database().model(Rollout.name, RolloutSchema));
  });

  /** A rollout of one phase whose targets are in the given states (counts to match). */
  async function rolloutWith(states: readonly RolloutTargetState[]): Promise<{ rolloutId: Types.ObjectId; ids: string[] }> {
    const rolloutId = new Types.ObjectId();
    const ids = states.map((_, index) => rolloutTargetId(rolloutId.toString(), `gw${index}`));
    const counts = { waiting: 0, starting: 0, pending: 0, confirmed: 0, failed: 0, skipped: 0 };
    for (const state of states) counts[state] += 1;
    await rollouts().insertOne({ _id: rolloutId, phases: [{ end: states.length, counts }], countsVersion: 0 });
    await targets().insertMany(
      states.map((state, index) => ({ ...newTarget(rolloutId.toString(), { gatewayId: `gw${index}`, companyId: 'c' }, 0, index, 0), state })),
    );
    return { rolloutId, ids };
  }

  async function countsOf(rolloutId: Types.ObjectId): Promise<Record<string, number>> {
    const rollout = await rollouts().findOne({ _id: rolloutId });
    return rollout?.['phases'][0].counts;
  }

  const start = (id: string, deploymentId: string): TargetMove => ({
    id,
    phase: 0,
    from: 'waiting',
    to: 'pending',
    condition: { attempts: 0 },
    set: { deploymentId, claim: deploymentId },
    incAttempts: true,
  });

  it('moves only the targets still in their state, and counts exactly those', async () => {
    // Every third target was decided already.
    const { rolloutId, ids } = await rolloutWith(Array.from({ length: TARGETS }, (_, index) => (index % 3 === 0 ? 'skipped' : 'waiting')));
    const moved = await store.transition(
      rolloutId,
      ids.map((id) => start(id, 'dep-a')),
    );
    const waiting = ids.filter((_, index) => index % 3 !== 0).length;
    expect(moved).toBe(waiting);
    expect(await countsOf(rolloutId)).toMatchObject({ waiting: 0, pending: waiting, skipped: TARGETS - waiting });
    expect(await targets().countDocuments({ rolloutId: rolloutId.toString(), state: 'pending', deploymentId: 'dep-a', attempts: 1 })).toBe(waiting);
    expect(await targets().countDocuments({ rolloutId: rolloutId.toString(), state: 'skipped', deploymentId: null, attempts: 0 })).toBe(TARGETS - waiting);
  });

  it('starts each target once when two controllers start the same targets at the same time, and the counts add up', async () => {
    const { rolloutId, ids } = await rolloutWith(Array.from({ length: TARGETS }, () => 'waiting'));
    const [a, b] = await Promise.all([
      store.transition(
        rolloutId,
        ids.map((id) => start(id, 'dep-a')),
      ),
      store.transition(
        rolloutId,
        [...ids].reverse().map((id) => start(id, 'dep-b')),
      ),
    ]);
    expect(a + b).toBe(TARGETS);
    expect(await targets().countDocuments({ rolloutId: rolloutId.toString(), deploymentId: 'dep-a', attempts: 1 })).toBe(a);
    expect(await targets().countDocuments({ rolloutId: rolloutId.toString(), deploymentId: 'dep-b', attempts: 1 })).toBe(b);
    expect(await countsOf(rolloutId)).toMatchObject({ waiting: 0, pending: TARGETS });
  });

  it('moves unlike targets by their own condition and changes: a decision is not overwritten', async () => {
    const { rolloutId, ids } = await rolloutWith(Array.from({ length: TARGETS }, () => 'waiting'));
    await store.transition(
      rolloutId,
      ids.map((id, index) => start(id, index % 2 === 0 ? 'dep-even' : 'dep-odd')),
    );
    const decidedAt = new Date('2026-12-02T08:00:00Z');
    // Each outcome names its deployment; the odd ones are decided as failed first, then a late confirmation comes for all.
    const decide = (to: 'confirmed' | 'failed', pick: (index: number) => boolean): TargetMove[] =>
      ids.flatMap((id, index) =>
        pick(index)
          ? [{ id, phase: 0, from: 'pending', to, condition: { deploymentId: index % 2 === 0 ? 'dep-even' : 'dep-odd' }, set: { reason: to, decidedAt } }]
          : [],
      );
    expect(
      await store.transition(
        rolloutId,
        decide('failed', (index) => index % 2 === 1),
      ),
    ).toBe(TARGETS / 2);
    expect(
      await store.transition(
        rolloutId,
        decide('confirmed', () => true),
      ),
    ).toBe(TARGETS / 2);
    // A move whose condition names another deployment moves nothing.
    expect(await store.transition(rolloutId, [{ id: ids[0], phase: 0, from: 'confirmed', to: 'failed', condition: { deploymentId: 'dep-odd' } }])).toBe(0);
    expect(await countsOf(rolloutId)).toMatchObject({ waiting: 0, pending: 0, confirmed: TARGETS / 2, failed: TARGETS / 2 });
    expect(await targets().countDocuments({ rolloutId: rolloutId.toString(), state: 'failed', deploymentId: 'dep-odd', reason: 'failed' })).toBe(TARGETS / 2);
    expect(await targets().countDocuments({ rolloutId: rolloutId.toString(), state: 'confirmed', deploymentId: 'dep-even', decidedAt })).toBe(TARGETS / 2);
  });

  describe('transitionOf (moves built from the rollout its countsVersion bump reads)', () => {
    const decide = (ids: readonly string[], to: 'confirmed' | 'failed', deploymentId: string): TargetMove[] =>
      ids.map((id) => ({ id, phase: 0, from: 'pending', to, condition: { deploymentId }, set: { reason: null } }));

    it('hands the moves the rollout as stored, bumps countsVersion before and with the counts, and counts what moved', async () => {
      const { rolloutId, ids } = await rolloutWith(Array.from({ length: TARGETS }, () => 'pending'));
      await targets().updateMany({ rolloutId: rolloutId.toString() }, { $set: { deploymentId: 'dep-a' } });
      await rollouts().updateOne({ _id: rolloutId }, { $set: { state: 'running', retries: { max: 1, backoffSeconds: 5 }, countsVersion: 7 } });
      const seen: unknown[] = [];
      const moved = await store.transitionOf(rolloutId.toString(), (rollout) => {
        seen.push({ state: rollout.state, retries: rollout.retries });
        return decide(ids.slice(0, 100), 'confirmed', 'dep-a');
      });
      expect(moved).toBe(100);
      expect(seen).toEqual([{ state: 'running', retries: { max: 1, backoffSeconds: 5 } }]);
      expect(await countsOf(rolloutId)).toMatchObject({ pending: TARGETS - 100, confirmed: 100 });
      expect((await rollouts().findOne({ _id: rolloutId }))?.['countsVersion']).toBe(9);
    });

    it('moves each target once when two processes apply the same outcomes at the same time', async () => {
      const { rolloutId, ids } = await rolloutWith(Array.from({ length: TARGETS }, () => 'pending'));
      await targets().updateMany({ rolloutId: rolloutId.toString() }, { $set: { deploymentId: 'dep-a' } });
      const [a, b] = await Promise.all([
        store.transitionOf(rolloutId, () => decide(ids, 'confirmed', 'dep-a')),
        store.transitionOf(rolloutId, () => decide([...ids].reverse(), 'confirmed', 'dep-a')),
      ]);
      expect(a + b).toBe(TARGETS);
      expect(await countsOf(rolloutId)).toMatchObject({ pending: 0, confirmed: TARGETS });
    });

    it('writes nothing for a rollout that is gone', async () => {
      const { rolloutId, ids } = await rolloutWith(Array.from({ length: 3 }, () => 'pending'));
      await rollouts().deleteOne({ _id: rolloutId });
      const movesOf = jest.fn(() => decide(ids, 'confirmed', 'dep-a'));
      expect(await store.transitionOf(rolloutId, movesOf)).toBe(0);
      expect(movesOf).not.toHaveBeenCalled();
      expect(await rollouts().countDocuments({ _id: rolloutId })).toBe(0);
      expect(await targets().countDocuments({ rolloutId: rolloutId.toString(), state: 'pending' })).toBe(3);
    });
  });
});
