import { mongo } from 'mongoose';
import { idLists } from './id-lists';
import { sentOnceMore } from './primary-gone';
import { updateCommand, type CommandCollection } from './write-commands';

/**
 * Ids per `updateMany({ _id: { $in: ids }, ... })`. The project's FerretDB build looks the listed
 * ids up in its `_id` index and writes what one statement modified in one transaction
 * (ID_IN_LIST_FIX and UPDATE_WRITES_TOGETHER in tools/services/ferretdb-source-fixes.mjs): at
 * 10,000 documents FerretDB spent 0.09-0.16 ms of CPU per document updated this way, 0.21-0.27 ms
 * in bulk writes of single updates by `_id`; lists of 500 cost no less per document than lists
 * of 100. The statement holds the collection's write lock in FerretDB while it runs, so lists stay short.
 */
export const IDS_PER_UPDATE = 100;

/** One `updateMany` of the listed ids; resolves to the documents it modified. */
export type UpdateListed = (ids: string[]) => PromiseLike<{ modifiedCount: number }>;

/**
 * The same update of every listed document, as `updateMany` statements of at most IDS_PER_UPDATE
 * ids, one after the other. Each document is matched and updated on its own, as an update by its
 * `_id` would be (MongoDB and FerretDB apply an update to each document atomically). Returns how
 * many documents were modified.
 *
 * MongoDB's driver retries a single-document update once when a replica set's primary steps down,
 * never an updateMany: a list is sent again here instead (see sentOnceMore). Each caller's update
 * leaves a document it already changed as it is (its condition no longer matches, or it sets the
 * same value), so a resend after a partial write only misses the count of what the first try
 * changed: rollout counts then stay behind, never ahead, until the controller's recount.
 */
export async function updateListed(ids: readonly string[], update: UpdateListed): Promise<number> {
  let modified = 0;
  for (const listed of idLists(ids, IDS_PER_UPDATE)) {
    const result = await sentOnceMore(() => update(listed));
    modified += result.modifiedCount;
  }
  return modified;
}

/** `updateMany` statements (of IDS_PER_UPDATE ids each) per `update` command of updateListedInCommands. */
export const LISTS_PER_COMMAND = 10;

/**
 * updateListed as the database's own `update` command: the `updateMany` statements of the listed ids
 * (`statementOf` builds one for a list), LISTS_PER_COMMAND of them per command, instead of one
 * driver call each (its updateMany serialises, sends and awaits one command per list, each
 * in a session of its own). The command is ordered: the database stops at a statement it refuses,
 * as updateListed stops at a list whose updateMany throws, and its error is thrown (the lists after
 * it not written). A command that fails as a whole because the primary is gone is sent once more,
 * as updateListed sends a list again, and statements refused for it are sent again by updateCommand.
 * Returns how many documents were modified.
 */
export async function updateListedInCommands(
  target: CommandCollection,
  ids: readonly string[],
  statementOf: (ids: string[]) => { q: object; u: object },
): Promise<number> {
  const lists = idLists(ids, IDS_PER_UPDATE);
  let modified = 0;
  for (let offset = 0; offset < lists.length; offset += LISTS_PER_COMMAND) {
    const statements = lists.slice(offset, offset + LISTS_PER_COMMAND).map((listed) => ({ ...statementOf(listed), multi: true }));
    const result = await sentOnceMore(() => updateCommand(target, statements, { ordered: true }));
    modified += result.nModified;
    const [refused] = result.writeErrors;
    if (refused) throw Object.assign(new Error(refused.errmsg ?? 'write error'), { code: refused.code, writeErrors: result.writeErrors });
  }
  return modified;
}

/**
 * Items in groups of equal `valueOf(item)` (types kept: a Date is not its string), in the order
 * each group first appears: the items one updateMany can write.
 */
export function groupsOfEqual<T>(items: readonly T[], valueOf: (item: T) => unknown): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = mongo.BSON.EJSON.stringify(valueOf(item), { relaxed: false });
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return [...groups.values()];
}
