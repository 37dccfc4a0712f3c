import type { FilterQuery, Model, UpdateQuery } from 'mongoose';
import { withStatementSlots } from './statement-slots';

export interface ConditionalUpdate<T> {
  filter: FilterQuery<T>;
  update: UpdateQuery<T>;
}

// Statements in flight at once: enough to overlap round trips, within the process's statement slots.
const CONCURRENCY = 4;

/**
 * One `updateOne` per statement, a few at a time, telling for each whether it matched. A bulk
 * write only counts matches, and a decision taken by a conditional write (filter on `_id` and the
 * expected state) must know which of its statements won: that is what makes it happen once
 * whichever API process tries.
 */
export async function conditionalUpdates<T>(model: Model<T>, updates: readonly ConditionalUpdate<T>[]): Promise<boolean[]> {
  const matched = new Array<boolean>(updates.length).fill(false);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < updates.length) {
      const index = next++;
      const { filter, update } = updates[index];
      const result = await withStatementSlots(1, () => model.updateOne(filter, update));
      matched[index] = result.matchedCount === 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, updates.length) }, worker));
  return matched;
}
