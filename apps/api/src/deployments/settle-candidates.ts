import type { Model, Types } from 'mongoose';
import type { Deployment } from './deployment.schema';

/** The last deployment a round of settle checks read: the next round reads on after it. */
export interface SettleCursor {
  createdAt: Date;
  _id: Types.ObjectId;
}

/**
 * Up to `limit` deployments that may be settled (published, made no later than `createdBefore`,
 * not settled yet), oldest first after `after`. Reading on from where the last round stopped, and
 * from the oldest again once a round reached the newest, every candidate is checked in turn: one
 * that stays unsettled (its targets' deadline is later than the current time-out implies) holds
 * back no newer one.
 */
export async function settleCandidates(
  deployments: Model<Deployment>,
  createdBefore: Date,
  limit: number,
  after: SettleCursor | null,
): Promise<{ candidates: SettleCursor[]; next: SettleCursor | null }> {
  const laterThanCursor = after ? { $or: [{ createdAt: { $gt: after.createdAt } }, { createdAt: after.createdAt, _id: { $gt: after._id } }] } : {};
  const candidates = await deployments
    // Published: its targets are all written (a deployment's targets are inserted before its Upgrade goes out).
    .find({ settled: { $ne: true }, published: true, createdAt: { $lte: createdBefore }, ...laterThanCursor }, { _id: 1, createdAt: 1 })
    .sort({ createdAt: 1, _id: 1 })
    .limit(limit)
    .lean<SettleCursor[]>();
  return { candidates, next: candidates.length === limit ? candidates[candidates.length - 1] : null };
}
