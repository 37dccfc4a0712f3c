/** A Mongoose model, as far as bulk writes go. */
interface BulkWritable<O> {
  bulkWrite(operations: O[], options: { ordered: boolean }): Promise<{ upsertedIds?: Record<number, unknown> }>;
}

/**
 * FerretDB 1.24 with the SQLite backend deadlocks on an `update` command of more than 100
 * statements (each holds a pooled SQLite connection until the command ends; the pool has 100),
 * so bulk writes go out in chunks well below that. MongoDB is indifferent to the chunking.
 */
export const MAX_STATEMENTS_PER_WRITE = 50;

/** Unordered bulk write in sequential chunks; upserted ids keep their indexes in `operations`. */
export async function chunkedBulkWrite<O>(
  model: BulkWritable<NoInfer<O>>,
  operations: O[],
  chunkSize = MAX_STATEMENTS_PER_WRITE,
): Promise<{ upsertedIds: Record<number, unknown> }> {
  const upsertedIds: Record<number, unknown> = {};
  for (let offset = 0; offset < operations.length; offset += chunkSize) {
    const result = await model.bulkWrite(operations.slice(offset, offset + chunkSize), { ordered: false });
    for (const [index, id] of Object.entries(result.upsertedIds ?? {})) upsertedIds[offset + Number(index)] = id;
  }
  return { upsertedIds };
}
