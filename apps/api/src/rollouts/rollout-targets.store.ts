import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { RolloutTargetState } from '@upgrade-manager/dto';
import { Types, type Model, type mongo } from 'mongoose';
import { driverCollection } from '../database/driver-collection';
import { readsById } from '../database/reads-by-id';
import { groupsOfEqual, updateListed } from '../database/updates-by-id-list';
import { emptyTargetCounts, type TargetCounts } from './rollout-decision';
import { RolloutTarget } from './rollout-target.schema';
import { Rollout } from './rollout.schema';
import { onlyDuplicateKeys } from '../database/duplicate-key';

const INSERT_CHUNK = 500;
const SNAPSHOT_FIELDS = {
  _id: 1,
  gatewayId: 1,
  phase: 1,
  order: 1,
  delayMs: 1,
  state: 1,
  attempts: 1,
  claim: 1,
  deploymentId: 1,
  startedAt: 1,
  retryAt: 1,
} as const;

/** What the rollout controller reads of each target. */
export type TargetSnapshot = Pick<RolloutTarget, keyof typeof SNAPSHOT_FIELDS>;

/** One target moving from one state to another, where it still matches `condition`. */
export interface TargetMove {
  id: string;
  phase: number;
  from: RolloutTargetState;
  to: RolloutTargetState;
  condition?: Record<string, unknown>;
  set?: Record<string, unknown>;
  incAttempts?: boolean;
}

type RolloutKey = string | Types.ObjectId;

/** What of the rollout `transitionOf`'s moves are built from. */
export type RolloutMoveBasis = Pick<Rollout, 'state' | 'retries'>;

/** The rollout_targets collection and the per-phase counts its writes keep in the rollout document. */
@Injectable()
export class RolloutTargetsStore {
  // The driver's collections, for the writes every batch of outcomes makes: Mongoose's casting and
  // query building cost more API CPU than the statements, which are complete as built (updatedAt included).
  private readonly targetsCollection: mongo.Collection<{ _id: string }>;
  private readonly rolloutsCollection: mongo.Collection<{ _id: Types.ObjectId }>;

  constructor(
    @InjectModel(RolloutTarget.name) private readonly targets: Model<RolloutTarget>,
    @InjectModel(Rollout.name) private readonly rollouts: Model<Rollout>,
  ) {
    // Typed with the _id each schema declares (a string for targets, the default ObjectId for rollouts).
    this.targetsCollection = driverCollection<string>(targets);
    this.rolloutsCollection = driverCollection<Types.ObjectId>(rollouts);
  }

  /**
   * Moves targets, each only where it still is in its `from` state (and `condition`), and adds what
   * moved to the rollout's counts: the counts change by the writes that happened, whoever makes
   * them. Like moves (same phase, states, condition and changes) are one `updateMany` of their
   * `_id`s, whose modified count is what moved: each target is matched and moved on its own, as an
   * update by its `_id` would be. The project's FerretDB build answers `_id: {$in}` from its index
   * (see updates-by-id-list.ts). `countsVersion` is bumped before and with the counts, so that a
   * recount that raced with a move is refused; a process dying between the two leaves the counts
   * behind (never ahead) until the controller's recount. `beforeCount` runs after the moves and
   * before they are counted (a start makes its deployment there, so that targets count as pending
   * once their deployment exists). Returns how many moved.
   */
  async transition(rolloutId: RolloutKey, moves: readonly TargetMove[], beforeCount?: (moved: number) => Promise<void>): Promise<number> {
    if (moves.length === 0) return 0;
    return this.counted(rolloutId, (count) => this.move(moves, count), beforeCount);
  }

  private async move(moves: readonly TargetMove[], count: (move: TargetMove, moved: number) => void): Promise<void> {
    const groups = groupsOfEqual(moves, ({ phase, from, to, condition, set, incAttempts }) => [phase, from, to, condition, set, Boolean(incAttempts)]);
    const updatedAt = new Date();
    for (const group of groups) {
      const { from, to, condition, set, incAttempts } = group[0];
      const update = { $set: { ...set, state: to, updatedAt }, ...(incAttempts ? { $inc: { attempts: 1 } } : {}) };
      const moved = await updateListed(
        group.map(({ id }) => id),
        (ids) => this.targetsCollection.updateMany({ _id: { $in: ids }, state: from, ...condition }, update),
      );
      count(group[0], moved);
    }
  }

  /**
   * `transition` of moves that depend on the rollout as it is (its state, its retries): the rollout
   * is read by the statement that bumps `countsVersion` (one findAndModify, not a read and then the
   * bump). Nothing is written when the rollout is gone. Returns how many moved.
   */
  async transitionOf(rolloutId: RolloutKey, movesOf: (rollout: RolloutMoveBasis) => readonly TargetMove[]): Promise<number> {
    const _id = objectIdOf(rolloutId);
    // The whole document: FerretDB 1.24 refuses findAndModify's projection.
    const rollout = await this.rolloutsCollection.findOneAndUpdate({ _id }, countsVersionBump());
    if (!rollout) return 0;
    const moves = movesOf(rollout as unknown as RolloutMoveBasis);
    return this.counted(_id, (count) => this.move(moves, count), undefined, { bumped: true });
  }

  private async counted(
    rolloutId: RolloutKey,
    work: (count: (move: Pick<TargetMove, 'phase' | 'from' | 'to'>, moved: number) => void) => Promise<void>,
    beforeCount?: (moved: number) => Promise<void>,
    { bumped = false } = {},
  ): Promise<number> {
    const _id = objectIdOf(rolloutId);
    if (!bumped) await this.rolloutsCollection.updateOne({ _id }, countsVersionBump());
    const inc: Record<string, number> = {};
    let total = 0;
    await work(({ phase, from, to }, moved) => {
      if (moved === 0) return;
      total += moved;
      addCount(inc, countPath(phase, from), -moved);
      addCount(inc, countPath(phase, to), moved);
    });
    try {
      await beforeCount?.(total);
    } finally {
      await this.rolloutsCollection.updateOne({ _id }, { $inc: { ...inc, countsVersion: 1 }, $set: { updatedAt: new Date() } });
    }
    return total;
  }

  /** New targets of a rollout already written (continuous joins): inserted, then counted as waiting. */
  async addWaiting(rolloutId: RolloutKey, phase: number, targets: readonly RolloutTarget[]): Promise<number> {
    const inserted = await this.insert(targets);
    if (inserted > 0)
      await this.rollouts.updateOne({ _id: rolloutId }, { $inc: { [countPath(phase, 'waiting')]: inserted, targetCount: inserted, countsVersion: 1 } });
    return inserted;
  }

  /** Counts per phase and state, read from the targets themselves (the recount). */
  async countsByPhase(rolloutId: string, phases: number): Promise<TargetCounts[]> {
    const groups = await this.targets.aggregate<{ _id: { phase: number; state: RolloutTargetState }; count: number }>([
      { $match: { rolloutId } },
      { $group: { _id: { phase: '$phase', state: '$state' }, count: { $sum: 1 } } },
    ]);
    const counts = Array.from({ length: phases }, emptyTargetCounts);
    for (const group of groups) {
      const entry = counts[group._id.phase];
      if (entry) entry[group._id.state] += group.count;
    }
    return counts;
  }

  /** Every target of a rollout with the fields the controller decides by (a scan on FerretDB: the recount only). */
  snapshot(rolloutId: string): Promise<TargetSnapshot[]> {
    return this.targets.find({ rolloutId }, SNAPSHOT_FIELDS).lean<TargetSnapshot[]>().exec();
  }

  /** Targets by `_id`. */
  byIds(ids: readonly string[]): Promise<TargetSnapshot[]> {
    return readsById(
      ids,
      (listed) =>
        this.targets
          .find({ _id: { $in: listed } }, SNAPSHOT_FIELDS)
          .lean<TargetSnapshot[]>()
          .exec(),
      (target) => target._id,
    );
  }

  /** Inserts targets; ones already there (same rollout and gateway) are left as they are. Returns how many were new. */
  async insert(targets: readonly RolloutTarget[]): Promise<number> {
    let inserted = 0;
    for (let offset = 0; offset < targets.length; offset += INSERT_CHUNK) {
      try {
        const result = await this.targets.insertMany(targets.slice(offset, offset + INSERT_CHUNK), { ordered: false, lean: true, rawResult: true });
        inserted += result.insertedCount;
      } catch (error) {
        if (!onlyDuplicateKeys(error)) throw error;
        const partial = error as { insertedDocs?: unknown[]; result?: { insertedCount?: number } };
        inserted += partial.result?.insertedCount ?? partial.insertedDocs?.length ?? 0;
      }
    }
    return inserted;
  }

  find(
    filter: Record<string, unknown>,
    projection?: Record<string, 0 | 1>,
    options: { sort?: Record<string, 1 | -1>; skip?: number; limit?: number } = {},
  ): Promise<RolloutTarget[]> {
    let query = this.targets.find(filter, projection);
    if (options.sort) query = query.sort(options.sort);
    if (options.skip) query = query.skip(options.skip);
    if (options.limit !== undefined) query = query.limit(options.limit);
    return query.lean<RolloutTarget[]>().exec();
  }

  count(filter: Record<string, unknown>): Promise<number> {
    return this.targets.countDocuments(filter).exec();
  }

  /** The gateway ids of a rollout's targets. */
  async gatewayIdsOf(rolloutId: string): Promise<Set<string>> {
    const found = await this.targets.find({ rolloutId }, { _id: 0, gatewayId: 1 }).lean<{ gatewayId: string }[]>();
    return new Set(found.map((target) => target.gatewayId));
  }

  /** Sets fields of targets by `_id` where they match `condition`; counts untouched (no state change). */
  async setWhere(ids: readonly string[], condition: Record<string, unknown>, set: Record<string, unknown>): Promise<void> {
    await updateListed(ids, (listed) => this.targets.updateMany({ _id: { $in: listed }, ...condition }, { $set: set }).exec());
  }
}

function objectIdOf(rolloutId: RolloutKey): Types.ObjectId {
  return typeof rolloutId === 'string' ? new Types.ObjectId(rolloutId) : rolloutId;
}

// Bumped before the moves and again with their counts: a recount that raced with them is refused.
function countsVersionBump(): { $inc: { countsVersion: number }; $set: { updatedAt: Date } } {
  return { $inc: { countsVersion: 1 }, $set: { updatedAt: new Date() } };
}

/** The counts field of one phase and state in the rollout document. */
export function countPath(phase: number, state: RolloutTargetState): string {
  return `phases.${phase}.counts.${state}`;
}

function addCount(inc: Record<string, number>, path: string, value: number): void {
  inc[path] = (inc[path] ?? 0) + value;
}
