import { mongo } from 'mongoose';
import { idLists } from './id-lists';
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
 */
export async function updateListed(ids: readonly string[], update: UpdateListed): Promise<number> {
  let modified = 0;
  for (const listed of idLists(ids, IDS_PER_UPDATE)) {
    const result = await sentOnceMore(() => update(listed), isRetryableWriteError);
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
 * it not written). A command that fails as a whole with a retryable error is sent once more, as
 * updateListed sends a list again. Returns how many documents were modified.
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
    // write-commands keeps the driver's error of a write-concern error as its cause.
    const retryable = (error: unknown) => isRetryableWriteError(error) || isRetryableWriteError((error as { cause?: unknown } | undefined)?.cause);
    const result = await sentOnceMore(() => updateCommand(target, statements, { ordered: true }), retryable);
    modified += result.nModified;
    const [refused] = result.writeErrors;
    if (refused) throw Object.assign(new Error(refused.errmsg ?? 'write error'), { code: refused.code, writeErrors: result.writeErrors });
  }
  return modified;
}

/** `send()`, and once more when it failed with an error `retryable` accepts. */
async function sentOnceMore<T>(send: () => PromiseLike<T>, retryable: (error: unknown) => boolean): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (!retryable(error)) throw error;
    return send();
  }
}

/**
 * MongoDB's driver retries a single-document update once when a replica set's primary steps down,
 * never an updateMany: the statement is retried once here instead. Each caller's update leaves a
 * document it already changed as it is (its condition no longer matches, or it sets the same
 * value), so a retry after a partial write only misses the count of what the first try changed:
 * rollout counts then stay behind, never ahead, until the controller's recount.
 *
 * The RetryableWriteError label alone does not tell it: MongoDB 4.4+ labels only retryable writes
 * (sent with a txnNumber, which an updateMany or a command of our own never is), and the driver
 * adds it only to network errors. A node that is no longer (or not yet) primary, or shutting down,
 * answers with one of these codes instead; the driver then waits for the new primary before the
 * next command is sent.
 */
function isRetryableWriteError(error: unknown): boolean {
  if (!(error instanceof mongo.MongoError)) return false;
  return error.hasErrorLabel('RetryableWriteError') || (typeof error.code === 'number' && PRIMARY_GONE_CODES.has(error.code));
}

// The retryable write errors of MongoDB's retryable-writes specification that tell a node stopped
// being primary or is shutting down: NotWritablePrimary, NotPrimaryNoSecondaryOk,
// NotPrimaryOrSecondary, PrimarySteppedDown, InterruptedDueToReplStateChange, InterruptedAtShutdown,
// ShutdownInProgress.
const PRIMARY_GONE_CODES: ReadonlySet<number> = new Set([10107, 13435, 13436, 189, 11602, 11600, 91]);

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
