import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { RolloutBatch, RolloutSlots, rolloutSlotsId, RolloutTurn, rolloutTurnId, SLOTS_PER_CHUNK } from './rollout-order.schema';
import { isDuplicateKeyError } from '../database/duplicate-key';

/** One position of a rollout's start order. */
export interface Slot {
  position: number;
  gatewayId: string;
  delayMs: number;
}

// Batches (and their absence) remembered per process: written once, never changed, so any copy is right.
const BATCH_CACHE_MAX = 500;

/** The start order of each rollout (rollout_slots), the targets of each of its deployments (rollout_batches), read by _id, and whose turn it is to move them (rollout_turns). */
@Injectable()
export class RolloutOrderStore {
  private readonly batchCache = new Map<string, RolloutBatch | null>();

  constructor(
    @InjectModel(RolloutSlots.name) private readonly slots: Model<RolloutSlots>,
    @InjectModel(RolloutBatch.name) private readonly batches: Model<RolloutBatch>,
    @InjectModel(RolloutTurn.name) private readonly turns: Model<RolloutTurn>,
  ) {}

  /**
   * Takes the rollout's turn at `startSeq` for this caller alone: false when another controller
   * took it. A turn taken before `staleBefore` and never followed (its holder died between the
   * insert and its update of the rollout) is given up and taken again.
   */
  async takeTurn(rolloutId: string, startSeq: number, now: Date, staleBefore: Date): Promise<boolean> {
    const _id = rolloutTurnId(rolloutId, startSeq);
    if (await this.insertTurn({ _id, rolloutId, takenAt: now })) return true;
    const held = await this.turns.findOne({ _id }).lean<RolloutTurn>();
    if (!held || held.takenAt.getTime() >= staleBefore.getTime()) return false;
    await this.turns.deleteOne({ _id, takenAt: held.takenAt });
    return this.insertTurn({ _id, rolloutId, takenAt: now });
  }

  private async insertTurn(turn: RolloutTurn): Promise<boolean> {
    try {
      await this.turns.create(turn);
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /** Writes the order from `start` on (a new rollout: 0; gateways joining: the current number of positions). */
  async append(rolloutId: string, start: number, entries: readonly { gatewayId: string; delayMs: number }[]): Promise<void> {
    let position = start;
    let index = 0;
    while (index < entries.length) {
      const chunk = Math.floor(position / SLOTS_PER_CHUNK);
      const room = (chunk + 1) * SLOTS_PER_CHUNK - position;
      const part = entries.slice(index, index + room);
      await this.slots.updateOne(
        { _id: rolloutSlotsId(rolloutId, chunk) },
        {
          $setOnInsert: { rolloutId },
          $push: { gatewayIds: { $each: part.map((entry) => entry.gatewayId) }, delaysMs: { $each: part.map((entry) => entry.delayMs) } },
        },
        { upsert: true },
      );
      position += part.length;
      index += part.length;
    }
  }

  /** Positions `from` up to `to` (exclusive), as far as written. */
  async read(rolloutId: string, from: number, to: number): Promise<Slot[]> {
    const slots: Slot[] = [];
    for (let chunk = Math.floor(from / SLOTS_PER_CHUNK); chunk * SLOTS_PER_CHUNK < to; chunk += 1) {
      const found = await this.slots.findOne({ _id: rolloutSlotsId(rolloutId, chunk) }).lean<RolloutSlots>();
      if (!found) break;
      found.gatewayIds.forEach((gatewayId, index) => {
        const position = chunk * SLOTS_PER_CHUNK + index;
        if (position >= from && position < to) slots.push({ position, gatewayId, delayMs: found.delaysMs[index] ?? 0 });
      });
      if (found.gatewayIds.length < SLOTS_PER_CHUNK) break;
    }
    return slots;
  }

  async recordBatch(batch: RolloutBatch): Promise<void> {
    await this.batches.create(batch);
  }

  /**
   * The rollout batch a deployment carries; null for a deployment of no rollout batch (a plain
   * deployment's, see DeploymentRolloutTargets) or of a rollout settled since. Asked about decided
   * targets only, so after the deployment's targets were written, which its batch precedes: a
   * deployment found without one never gets one, and is remembered as such too.
   */
  async batchOf(deploymentId: string): Promise<RolloutBatch | null> {
    const cached = this.batchCache.get(deploymentId);
    if (cached !== undefined) return cached;
    const found = (await this.batches.findOne({ _id: deploymentId }).lean<RolloutBatch>()) ?? null;
    if (this.batchCache.size >= BATCH_CACHE_MAX) this.batchCache.delete(this.batchCache.keys().next().value ?? '');
    this.batchCache.set(deploymentId, found);
    return found;
  }

  /** The order and batches of a rollout that has nothing left to start or follow. */
  async forget(rolloutId: string): Promise<void> {
    await Promise.all([this.slots.deleteMany({ rolloutId }), this.batches.deleteMany({ rolloutId }), this.turns.deleteMany({ rolloutId })]);
  }
}
