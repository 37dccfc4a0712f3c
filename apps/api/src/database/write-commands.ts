import { mongo, type Connection } from 'mongoose';
import { isPrimaryGoneCode, sentOnceMore } from './primary-gone';

/**
 * A collection as the write commands reach it: its connection and its name (a Mongoose model is one).
 *
 * The hot writes (a rollout's Statuses, outcome events and decisions) go as the database's own
 * `insert` and `update` commands, one per chunk, and read its reply: the driver's bulk API
 * (bulkWrite, insertMany) measures each statement's size, builds each statement again, merges
 * per-batch results and opens a session of its own around them, which was a third of the API's
 * CPU in a broadcast. What it bought is not needed here: the callers' chunks are far below the
 * database's limits (16 MiB per command, 100,000 statements), and a command that fails as a whole
 * (connection lost, a primary stepping down, a write concern not met) throws for the caller to
 * retry the chunk, whose statements are idempotent (see tolerantBulkWrite), where the driver
 * would have retried once itself. Statements refused because the primary is gone are sent once
 * more here (withPrimaryGoneResent).
 */
export interface CommandCollection {
  db: Pick<Connection, 'db'>;
  collection: { collectionName: string };
}

/** One statement the database refused, `index` its position in the command. */
export interface CommandWriteError {
  index: number;
  code?: number;
  errmsg?: string;
}

export interface CommandWriteResult {
  /** Documents inserted, or matched or upserted by the updates. */
  n: number;
  /** Documents the updates modified. */
  nModified: number;
  /** The updates that inserted their document, by position. */
  upserted: Array<{ index: number; _id: unknown }>;
  writeErrors: CommandWriteError[];
}

/** An update statement of the `update` command. */
export interface UpdateStatement {
  q: object;
  u: object;
  upsert?: boolean;
  /** Every document `q` matches (updateMany), not only the first. */
  multi?: boolean;
}

/**
 * Documents per `insert` command. The callers' documents (events, decisions, gateways) are a few
 * hundred bytes each: a command of this many stays far below the database's 16 MiB.
 */
export const DOCUMENTS_PER_INSERT = 1000;

/**
 * Unordered `insert` of these documents, in commands of DOCUMENTS_PER_INSERT one after the other;
 * refused documents come back in `writeErrors`, by their index in `documents`.
 */
export async function insertCommand(target: CommandCollection, documents: readonly mongo.Document[]): Promise<CommandWriteResult> {
  const result: CommandWriteResult = { n: 0, nModified: 0, upserted: [], writeErrors: [] };
  for (let offset = 0; offset < documents.length; offset += DOCUMENTS_PER_INSERT) {
    const reply = await writeCommand(target, {
      insert: target.collection.collectionName,
      documents: documents.slice(offset, offset + DOCUMENTS_PER_INSERT),
      ordered: false,
    });
    result.n += reply.n;
    for (const writeError of reply.writeErrors) result.writeErrors.push({ ...writeError, index: offset + writeError.index });
  }
  return result;
}

/**
 * `update` with these statements as one command, unordered unless `ordered` (then the database
 * stops at the first refused statement); refused ones come back in `writeErrors`.
 */
export function updateCommand(target: CommandCollection, statements: readonly UpdateStatement[], { ordered = false } = {}): Promise<CommandWriteResult> {
  return writeCommand(target, { update: target.collection.collectionName, updates: statements, ordered });
}

async function writeCommand(target: CommandCollection, command: mongo.Document): Promise<CommandWriteResult> {
  const db = target.db.db;
  if (!db) throw new mongo.MongoNotConnectedError('The database is not connected');
  if ((command['documents'] ?? command['updates']).length === 0) return { n: 0, nModified: 0, upserted: [], writeErrors: [] };
  // The write concern the driver would add (the connection string's); none: the server's default.
  if (db.writeConcern) mongo.WriteConcern.apply(command, db.writeConcern);
  const result = await commandResult(db, command);
  return result.writeErrors.length === 0 ? result : withPrimaryGoneResent(db, command, result);
}

async function commandResult(db: mongo.Db, command: mongo.Document): Promise<CommandWriteResult> {
  let reply: mongo.Document;
  try {
    reply = await db.command(command);
  } catch (error) {
    // The driver throws a reply with a writeConcernError, the reply's fields (writeErrors too) copied
    // onto the error: not refused statements (see tolerantBulkWrite) but a command failed as a whole.
    // Its cause keeps the driver's error (its labels and code), for the callers that retry on them.
    if (error instanceof mongo.MongoWriteConcernError) throw concernNotMet(error.result['writeConcernError'] ?? error, error);
    throw error;
  }
  if (reply['writeConcernError']) throw concernNotMet(reply['writeConcernError']);
  return { n: reply['n'] ?? 0, nModified: reply['nModified'] ?? 0, upserted: reply['upserted'] ?? [], writeErrors: reply['writeErrors'] ?? [] };
}

/**
 * The statements refused because the primary is gone, sent once more (see sentOnceMore), in an
 * ordered command with those after it (never tried); the result as if they had been written the
 * first time. MongoDB 7 fails the whole command when a stepdown interrupts it, but a write that
 * takes its locks after the stepdown (it waited for them while the stepdown ran) finds the node no
 * longer primary at each statement and answers `ok: 1` with PrimarySteppedDown in `writeErrors`,
 * for every statement of an unordered command. Such a statement was not written (an update of many
 * documents may have written some), and every statement of ours may be sent again: the updates are
 * conditional or set what they set before, and a resent insert refused for a duplicate key reports
 * its document as there, which every caller counts as written.
 */
async function withPrimaryGoneResent(db: mongo.Db, command: mongo.Document, first: CommandWriteResult): Promise<CommandWriteResult> {
  const gone = first.writeErrors.filter(({ code }) => isPrimaryGoneCode(code));
  if (gone.length === 0) return first;
  const field = command['documents'] ? 'documents' : 'updates';
  const statements: unknown[] = command[field];
  const resent = command['ordered'] === false ? gone.map(({ index }) => index) : statements.map((_, index) => index).slice(gone[0].index);
  const again = await sentOnceMore(() => commandResult(db, { ...command, [field]: resent.map((index) => statements[index]) }));
  const resentIndexes = new Set(resent);
  const byIndex = (a: { index: number }, b: { index: number }) => a.index - b.index;
  return {
    n: first.n + again.n,
    nModified: first.nModified + again.nModified,
    upserted: [...first.upserted, ...again.upserted.map(({ index, _id }) => ({ index: resent[index], _id }))].sort(byIndex),
    writeErrors: [
      ...first.writeErrors.filter(({ index }) => !resentIndexes.has(index)),
      ...again.writeErrors.map((writeError) => ({ ...writeError, index: resent[writeError.index] })),
    ].sort(byIndex),
  };
}

function concernNotMet({ code, errmsg }: { code?: number; errmsg?: string }, cause?: unknown): Error {
  return Object.assign(new Error(`Write concern not met: ${errmsg ?? code}`, cause === undefined ? undefined : { cause }), { code });
}

type InsertOne = { insertOne: { document: mongo.Document } };
type UpdateOne = { updateOne: { filter: object; update: object; upsert?: boolean } };

/**
 * The driver's `bulkWrite` as far as tolerantBulkWrite uses it, for chunks of inserts or of
 * single-document updates, each chunk one command: resolves with the upserted ids by position,
 * or throws the write errors with what was written, as the driver's MongoBulkWriteError does.
 */
export function commandBulkWriter(target: CommandCollection) {
  return {
    async bulkWrite(operations: ReadonlyArray<InsertOne | UpdateOne>) {
      const inserts = operations.flatMap((operation) => ('insertOne' in operation ? [operation.insertOne.document] : []));
      if (inserts.length > 0 && inserts.length < operations.length) throw new mongo.MongoInvalidArgumentError('A chunk is of inserts or of updates, not both');
      const reply =
        inserts.length > 0
          ? await insertCommand(target, inserts)
          : await updateCommand(
              target,
              operations.map((operation) => {
                const { filter, update, upsert } = (operation as UpdateOne).updateOne;
                // No `upsert: undefined`: serialised as null, which MongoDB refuses for a boolean field.
                return upsert === undefined ? { q: filter, u: update } : { q: filter, u: update, upsert };
              }),
            );
      const upsertedIds: Record<number, unknown> = {};
      for (const { index, _id } of reply.upserted) upsertedIds[index] = _id;
      if (reply.writeErrors.length === 0) return { upsertedIds };
      const written =
        inserts.length > 0
          ? { insertedCount: reply.n, matchedCount: 0, upsertedCount: 0 }
          : { insertedCount: 0, matchedCount: reply.n - reply.upserted.length, upsertedCount: reply.upserted.length };
      throw Object.assign(new Error(reply.writeErrors[0].errmsg ?? 'write error'), {
        code: reply.writeErrors[0].code,
        writeErrors: reply.writeErrors,
        result: { upsertedIds, ...written },
      });
    },
  };
}
