/** What reading one document by `_id` needs: a Mongoose model or a driver collection behind a callback. */
export type ReadOne<T> = (id: string) => Promise<T | null>;

// Reads sent at once: FerretDB (SQLite) holds one of its 100 pooled connections per running query.
export const READS_AT_ONCE = 20;

/**
 * Documents by `_id`, one read each, READS_AT_ONCE at a time; those not found are left out.
 * FerretDB (SQLite) looks nothing up but `_id` without reading the whole collection: an `$in` of
 * 250 ids over 10,000 gateways took 2.4 s at load 6, 250 reads by `_id` 0.4 s.
 */
export async function readsById<T>(ids: readonly string[], readOne: ReadOne<T>): Promise<T[]> {
  const found: T[] = [];
  for (let offset = 0; offset < ids.length; offset += READS_AT_ONCE) {
    const some = await Promise.all(ids.slice(offset, offset + READS_AT_ONCE).map(readOne));
    for (const document of some) if (document !== null) found.push(document);
  }
  return found;
}
