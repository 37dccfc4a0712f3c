import { tolerantBulkWrite, type BulkWritable, type TolerantWriteResult } from './tolerant-bulk-write';
import { DUPLICATE_KEY } from './duplicate-key';

export interface ConditionalUpsertResult {
  upsertedIds: Record<number, unknown>;
  /** Operations whose document exists and did not match the condition. */
  unmatched: number[];
  /** Operations the database refused for another reason: retrying them cannot succeed. */
  rejected: TolerantWriteResult['rejected'];
}

/** Which of these operations' documents exist (by `_id`). */
export type ExistingDocuments = (indices: readonly number[]) => Promise<ReadonlySet<number>>;

/**
 * Upserts with a condition beyond `_id`. One that matches no document tries to insert it, which
 * fails with a duplicate key when the document exists: either its condition did not hold, or
 * another process inserted the document meanwhile. Sent once more, the second case matches. A
 * duplicate key whose document does not exist collides on another unique field: refused.
 */
export async function conditionalUpserts<O>(model: BulkWritable<NoInfer<O>>, operations: O[], existing: ExistingDocuments): Promise<ConditionalUpsertResult> {
  const first = await tolerantBulkWrite(model, operations);
  const duplicates = first.rejected.filter(({ code }) => code === DUPLICATE_KEY).map(({ index }) => index);
  const result: ConditionalUpsertResult = {
    upsertedIds: first.upsertedIds,
    unmatched: [],
    rejected: first.rejected.filter(({ code }) => code !== DUPLICATE_KEY),
  };
  if (duplicates.length === 0) return result;
  const again = await tolerantBulkWrite(
    model,
    duplicates.map((index) => operations[index]),
  );
  for (const [position, id] of Object.entries(again.upsertedIds)) result.upsertedIds[duplicates[Number(position)]] = id;
  const stillDuplicate = again.rejected.filter(({ code }) => code === DUPLICATE_KEY).map(({ index }) => duplicates[index]);
  // FerretDB names no index in its duplicate-key errors, so the document is looked up instead.
  const found = stillDuplicate.length === 0 ? new Set<number>() : await existing(stillDuplicate);
  for (const refused of again.rejected) {
    const index = duplicates[refused.index];
    if (refused.code === DUPLICATE_KEY && found.has(index)) result.unmatched.push(index);
    else result.rejected.push({ ...refused, index });
  }
  return result;
}
