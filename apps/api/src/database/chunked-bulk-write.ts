/** A Mongoose model, as far as bulk writes go. */
interface BulkWritable<O> {
  bulkWrite(operations: O[], options: { ordered: boolean }): Promise<{ upsertedIds?: Record<number, unknown>; modifiedCount?: number }>;
}

/**
 * An unpatched FerretDB 1.24 with the SQLite backend holds one pooled SQLite connection per update
 * statement until its command ends (the pool has 100): one command of more than 100 statements
 * hangs it, and so do concurrent commands whose statements add up to that (the status ingest, the
 * deployment tracker, the rollout outcomes and the controller each write on their own; the
 * project's build closes each statement's query, see tools/services/ferretdb-source-fixes.mjs).
 * Bulk writes therefore go out in chunks well below that. MongoDB is indifferent to the chunking.
 */
export const MAX_STATEMENTS_PER_WRITE = 20;

/** Unordered bulk write in sequential chunks; upserted ids keep their indexes in `operations`. */
export async function chunkedBulkWrite<O>(
  model: BulkWritable<NoInfer<O>>,
  operations: O[],
  chunkSize = MAX_STATEMENTS_PER_WRITE,
): Promise<{ upsertedIds: Record<number, unknown>; modifiedCount: number }> {
  const upsertedIds: Record<number, unknown> = {};
  let modifiedCount = 0;
  for (let offset = 0; offset < operations.length; offset += chunkSize) {
    const result = await model.bulkWrite(operations.slice(offset, offset + chunkSize), { ordered: false });
    for (const [index, id] of Object.entries(result.upsertedIds ?? {})) upsertedIds[offset + Number(index)] = id;
    modifiedCount += result.modifiedCount ?? 0;
  }
  return { upsertedIds, modifiedCount };
}
