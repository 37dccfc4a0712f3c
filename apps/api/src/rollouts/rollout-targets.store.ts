import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { RolloutTargetState } from '@upgrade-manager/dto';
import type { Model, UpdateQuery } from 'mongoose';
import { emptyTargetCounts, type TargetCounts } from './rollout-decision';
import { RolloutClaim, RolloutTarget } from './rollout-target.schema';

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
// Ids per `$in`: FerretDB compares every document with every listed id.
const ID_CHUNK = 500;

/** The rollout_targets collection: counts, inserts, reads by state, conditional writes. */
@Injectable()
export class RolloutTargetsStore {
  constructor(
    @InjectModel(RolloutTarget.name) private readonly targets: Model<RolloutTarget>,
    @InjectModel(RolloutClaim.name) private readonly claims: Model<RolloutClaim>,
  ) {}

  /**
   * Claims the next attempt of each target for `claim`: one insert per target and attempt, so
   * of two controllers claiming at once exactly one wins each target. Returns the ids won.
   */
  async claimAttempts(rolloutId: string, targets: readonly Pick<RolloutTarget, '_id' | 'attempts'>[], claim: string): Promise<string[]> {
    const claimIds = new Map(targets.map((target) => [`${target._id}#${target.attempts + 1}`, target._id]));
    try {
      await this.claims.insertMany(
        [...claimIds.keys()].map((_id) => ({ _id, rolloutId, claim })),
        { ordered: false },
      );
    } catch (error) {
      if (!onlyDuplicateKeys(error)) throw error;
    }
    const won: string[] = [];
    const ids = [...claimIds.keys()];
    for (let offset = 0; offset < ids.length; offset += ID_CHUNK) {
      const found = await this.claims.find({ _id: { $in: ids.slice(offset, offset + ID_CHUNK) }, claim }, { _id: 1 }).lean<{ _id: string }[]>();
      for (const entry of found) won.push(claimIds.get(entry._id) ?? '');
    }
    return won.filter(Boolean);
  }

  /** The claims of a rollout that has nothing left to start. */
  async forgetClaims(rolloutId: string): Promise<void> {
    await this.claims.deleteMany({ rolloutId });
  }

  /** Counts per phase and state; `phases` entries, however many phases hold targets. */
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

  /**
   * Every target of a rollout with the fields the controller decides by: one read per tick instead
   * of one per question (FerretDB scans the collection for each).
   */
  snapshot(rolloutId: string): Promise<TargetSnapshot[]> {
    return this.targets.find({ rolloutId }, SNAPSHOT_FIELDS).lean<TargetSnapshot[]>().exec();
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

  /**
   * One update of these targets where they still match `condition`, as one statement per chunk:
   * FerretDB (SQLite) commits each statement of a bulk write on its own, which made a claim of 60
   * targets take seconds under load.
   */
  async updateWhere(ids: readonly string[], condition: Record<string, unknown>, update: UpdateQuery<RolloutTarget>): Promise<number> {
    let modified = 0;
    for (let offset = 0; offset < ids.length; offset += ID_CHUNK) {
      const result = await this.targets.updateMany({ _id: { $in: ids.slice(offset, offset + ID_CHUNK) }, ...condition }, update);
      modified += result.modifiedCount;
    }
    return modified;
  }

  /** Updates grouped by identical condition and change, each group as `updateWhere`. */
  async updateGrouped(changes: readonly { id: string; condition: Record<string, unknown>; set: Record<string, unknown> }[]): Promise<void> {
    const groups = new Map<string, { ids: string[]; condition: Record<string, unknown>; set: Record<string, unknown> }>();
    for (const change of changes) {
      const key = JSON.stringify([change.condition, change.set]);
      const group = groups.get(key) ?? { ids: [], condition: change.condition, set: change.set };
      group.ids.push(change.id);
      groups.set(key, group);
    }
    for (const group of groups.values()) await this.updateWhere(group.ids, group.condition, { $set: group.set });
  }
}

/** An unordered insert that failed only for documents already there. */
function onlyDuplicateKeys(error: unknown): boolean {
  const { code, writeErrors } = error as { code?: number; writeErrors?: { code?: number }[] };
  return code === 11000 || (writeErrors !== undefined && writeErrors.length > 0 && writeErrors.every((writeError) => writeError.code === 11000));
}
