import { idLists } from './id-lists';

/** What reading the documents of a list of `_id`s needs: a Mongoose model or a driver collection behind a callback. */
export type ReadListed<T> = (ids: string[]) => PromiseLike<T[]>;

/**
 * Ids per `find({ _id: { $in: ids } })`. The project's FerretDB build looks listed ids up in its
 * `_id` index (ID_IN_LIST_FIX in tools/services/ferretdb-source-fixes.mjs): 1,000 documents of
 * 10,000 cost FerretDB 30-50 ms of CPU read in lists of 100, 320-470 ms read one by one.
 */
export const IDS_PER_READ = 100;

/** Documents by `_id`, in lists of IDS_PER_READ, in the order of `ids` (each once); those not found are left out. */
export async function readsById<T>(ids: readonly string[], readListed: ReadListed<T>, idOf: (document: T) => string): Promise<T[]> {
  const lists = idLists(ids, IDS_PER_READ);
  const byId = new Map<string, T>();
  for (const listed of lists) {
    for (const document of await readListed(listed)) byId.set(idOf(document), document);
  }
  return lists.flat().flatMap((id) => {
    const document = byId.get(id);
    return document === undefined ? [] : [document];
  });
}
