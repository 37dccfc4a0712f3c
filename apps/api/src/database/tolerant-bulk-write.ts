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
  result?: { upsertedIds?: Record<number, unknown> };
}

export interface TolerantWriteResult {
  upsertedIds: Record<number, unknown>;
  /** Operations the database refused (e.g. a duplicate key): retrying them cannot succeed. */
  rejected: Array<{ index: number; message: string; code: number | null }>;
}

function isBulkWriteError(error: unknown): error is BulkWriteErrorLike {
  return typeof error === 'object' && error !== null && 'writeErrors' in error;
}

/**
 * Unordered bulk write in chunks (see MAX_STATEMENTS_PER_WRITE) that goes on past documents the
 * database refuses and reports them, so one bad document never holds up the others. Anything
 * else (connection lost, timeout) throws, and the caller retries the whole batch, so the operations
 * must be idempotent. MongoDB and our FerretDB build write every other statement of an unordered
 * chunk and name the refused ones by their index, so a chunk is sent once.
 */
export async function tolerantBulkWrite<O>(
  model: BulkWritable<NoInfer<O>>,
  operations: O[],
  chunkSize = MAX_STATEMENTS_PER_WRITE,
): Promise<TolerantWriteResult> {
  const result: TolerantWriteResult = { upsertedIds: {}, rejected: [] };
  for (let offset = 0; offset < operations.length; offset += chunkSize) {
    const chunk = operations.slice(offset, offset + chunkSize);
    let upserted: Record<number, unknown> | undefined;
    try {
      upserted = (await model.bulkWrite(chunk, { ordered: false })).upsertedIds;
    } catch (error) {
      if (!isBulkWriteError(error)) throw error;
      upserted = error.result?.upsertedIds;
      const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
      if (writeErrors.length === 0 || writeErrors.some((writeError) => chunk[writeError.index] === undefined)) throw error;
      for (const writeError of writeErrors) {
        result.rejected.push({
          index: offset + writeError.index,
          message: writeError.errmsg ?? `code ${writeError.code ?? 'unknown'}`,
          code: writeError.code ?? null,
        });
      }
    }
    for (const [position, id] of Object.entries(upserted ?? {})) result.upsertedIds[offset + Number(position)] = id;
  }
  return result;
}
