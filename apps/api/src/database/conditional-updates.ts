import type { FilterQuery, UpdateQuery } from 'mongoose';
import { MAX_STATEMENTS_PER_WRITE } from './chunked-bulk-write';
import { withStatementSlots } from './statement-slots';

/** A Mongoose model, as far as conditional bulk updates go. */
interface BulkUpdatable<O> {
  bulkWrite(operations: O[], options: { ordered: boolean }): Promise<{ matchedCount: number }>;
}

export interface ConditionalUpdate<T> {
  filter: FilterQuery<T>;
  update: UpdateQuery<T>;
}

/**
 * Conditional writes in bulk, telling for each whether it took effect: that is what makes a
 * decision (filter on `_id` and the expected state) happen once whichever API process tries. A
 * bulk write only counts matches; when a chunk matched all its statements (the usual case) each
 * one did, otherwise `applied(index)` reads back whether that statement's document is in the
 * state it wrote (one read by `_id` each, only for such chunks). Single-statement writes would
 * cost FerretDB a transaction each: several times slower than a chunk.
 */
export async function conditionalUpdates<T>(
  model: BulkUpdatable<{ updateOne: ConditionalUpdate<T> }>,
  updates: readonly ConditionalUpdate<T>[],
  applied: (index: number) => Promise<boolean>,
): Promise<boolean[]> {
  const matched = new Array<boolean>(updates.length).fill(false);
  for (let offset = 0; offset < updates.length; offset += MAX_STATEMENTS_PER_WRITE) {
    const chunk = updates.slice(offset, offset + MAX_STATEMENTS_PER_WRITE);
    const operations = chunk.map((updateOne) => ({ updateOne }));
    const result = await withStatementSlots(chunk.length, () => model.bulkWrite(operations, { ordered: false }));
    for (let index = offset; index < offset + chunk.length; index++) {
      matched[index] = result.matchedCount === chunk.length ? true : await applied(index);
    }
  }
  return matched;
}
