import { MAX_STATEMENTS_PER_WRITE } from './chunked-bulk-write';

export interface BulkWritable<O> {
  bulkWrite(operations: O[], options: { ordered: boolean }): Promise<{ upsertedIds?: Record<number, unknown> }>;
}

interface WriteErrorLike {
  index: number;
  errmsg?: string;
  code?: number;
}

interface BulkWriteErrorLike {
  writeErrors: WriteErrorLike | WriteErrorLike[];
  result?: { upsertedIds?: Record<number, unknown>; insertedCount?: number; matchedCount?: number; upsertedCount?: number };
}

export interface TolerantWriteResult {
  upsertedIds: Record<number, unknown>;
  /** Operations the database refused (e.g. a duplicate key): retrying them cannot succeed. */
  rejected: Array<{ index: number; message: string; code: number | null }>;
}

function isBulkWriteError(error: unknown): error is BulkWriteErrorLike {
  return typeof error === 'object' && error !== null && 'writeErrors' in error;
}

/** Statements of a failed bulk write the database says it wrote (each insert or upsert counts one). */
function writtenCount(result: BulkWriteErrorLike['result']): number {
  return (result?.insertedCount ?? 0) + (result?.matchedCount ?? 0) + (result?.upsertedCount ?? 0);
}

/**
 * Unordered bulk write in chunks (see MAX_STATEMENTS_PER_WRITE) that goes on past documents the
 * database refuses and reports them, so one bad document never holds up the others. Anything
 * else (connection lost, timeout) throws, and the caller retries the whole batch, so the operations
 * must be idempotent, and each an insert or an upsert. MongoDB and our FerretDB build write every
 * other statement of an unordered chunk and name the refused ones by their index, so a chunk is
 * sent once. A FerretDB without UPDATE_STATEMENTS_TOGETHER (FERRETDB_BIN of a release or of
 * um-fixes-11) stops an update at its first refused statement and calls it statement 0: the
 * statements it neither wrote nor refused show in the counts, and all but the refused are sent again.
 */
export async function tolerantBulkWrite<O>(
  model: BulkWritable<NoInfer<O>>,
  operations: O[],
  chunkSize = MAX_STATEMENTS_PER_WRITE,
): Promise<TolerantWriteResult> {
  const result: TolerantWriteResult = { upsertedIds: {}, rejected: [] };
  for (let offset = 0; offset < operations.length; offset += chunkSize) {
    // Indexes into `operations` still to write in this chunk.
    let remaining = operations.slice(offset, offset + chunkSize).map((_, i) => offset + i);
    while (remaining.length > 0) {
      const sent = remaining;
      remaining = [];
      let upserted: Record<number, unknown> | undefined;
      try {
        upserted = (
          await model.bulkWrite(
            sent.map((index) => operations[index]),
            { ordered: false },
          )
        ).upsertedIds;
      } catch (error) {
        if (!isBulkWriteError(error)) throw error;
        upserted = error.result?.upsertedIds;
        const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
        if (writeErrors.length === 0 || writeErrors.some((writeError) => sent[writeError.index] === undefined)) throw error;
        for (const writeError of writeErrors) {
          result.rejected.push({
            index: sent[writeError.index],
            message: writeError.errmsg ?? `code ${writeError.code ?? 'unknown'}`,
            code: writeError.code ?? null,
          });
        }
        if (writtenCount(error.result) + writeErrors.length < sent.length) {
          const refused = new Set(writeErrors.map((writeError) => sent[writeError.index]));
          remaining = sent.filter((index) => !refused.has(index));
        }
      }
      for (const [position, id] of Object.entries(upserted ?? {})) result.upsertedIds[sent[Number(position)]] = id;
    }
  }
  return result;
}
