/** The error code MongoDB (and FerretDB) give a write that would break a unique index. */
export const DUPLICATE_KEY = 11000;

/** Whether a single write failed for a unique index (an `_id` or a unique field already taken). */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}

/** Whether an unordered bulk write failed only for documents already there. */
export function onlyDuplicateKeys(error: unknown): boolean {
  if (isDuplicateKeyError(error)) return true;
  const writeErrors = typeof error === 'object' && error !== null ? (error as { writeErrors?: { code?: unknown }[] }).writeErrors : undefined;
  return writeErrors !== undefined && writeErrors.length > 0 && writeErrors.every((writeError) => writeError.code === DUPLICATE_KEY);
}
