import type { mongo } from 'mongoose';
import { DUPLICATE_KEY } from './duplicate-key';
import { insertCommand, type CommandCollection } from './write-commands';

/**
 * Inserts documents whose `_id` says what they record, so that writing one again changes nothing:
 * those already there are left as they are. One unordered insert command (see write-commands.ts),
 * which writes every document but the duplicates. Returns the indexes of the duplicates; throws for
 * anything but a duplicate key (so for collections without another unique index, a duplicate `_id`).
 */
export async function insertOnce(model: CommandCollection, documents: readonly mongo.Document[]): Promise<Set<number>> {
  const { writeErrors } = await insertCommand(model, documents);
  const refused = writeErrors.find(({ code }) => code !== DUPLICATE_KEY);
  if (refused) {
    throw Object.assign(new Error(`Insert into ${model.collection.collectionName} refused: ${refused.errmsg ?? refused.code}`), { code: refused.code });
  }
  return new Set(writeErrors.map(({ index }) => index));
}
