/** The error code MongoDB (and FerretDB) give a write that would break a unique index. */
export const DUPLICATE_KEY = 11000;

/** Whether a single write failed for a unique index (an `_id` or a unique field already taken). */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}

/** One statement's error in a failed bulk write: `index` is the statement's position. */
export interface BulkWriteError {
  index: number;
  code?: unknown;
}

/**
 * The write errors of a failed bulk write: the driver gives one as an object, several as an array
 * (MongoBulkWriteError.writeErrors).
 */
export function bulkWriteErrors(error: unknown): BulkWriteError[] {
  const writeErrors = typeof error === 'object' && error !== null ? (error as { writeErrors?: unknown }).writeErrors : undefined;
  if (Array.isArray(writeErrors)) return writeErrors as BulkWriteError[];
  return typeof writeErrors === 'object' && writeErrors !== null ? [writeErrors as BulkWriteError] : [];
}

/** Whether an unordered bulk write failed only for documents already there. */
export function onlyDuplicateKeys(error: unknown): boolean {
  const errors = bulkWriteErrors(error);
  if (errors.length === 0) return isDuplicateKeyError(error);
  return errors.every((writeError) => writeError.code === DUPLICATE_KEY);
}
