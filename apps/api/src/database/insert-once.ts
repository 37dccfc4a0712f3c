import type { Collection, mongo } from 'mongoose';
import { DUPLICATE_KEY, onlyDuplicateKeys } from './duplicate-key';
import { tolerantBulkWrite } from './tolerant-bulk-write';

/**
 * Inserts documents whose `_id` says what they record, so that writing one again changes nothing:
 * those already there are left as they are. One insert command when none is there (the usual
 * case); else each document once more, past the duplicates (FerretDB stops an unordered insert at
 * its first duplicate). Throws for anything but a duplicate key (so for collections without another
 * unique index, a duplicate `_id`).
 */
export async function insertOnce(model: { collection: Collection }, documents: readonly mongo.Document[]): Promise<void> {
  if (documents.length === 0) return;
  // The driver's collection: the documents are complete as built (see driverCollection).
  const collection = model.collection as unknown as mongo.Collection;
  try {
    await collection.insertMany([...documents], { ordered: false });
    return;
  } catch (error) {
    if (!onlyDuplicateKeys(error)) throw error;
  }
  const { rejected } = await tolerantBulkWrite(
    collection,
    documents.map((document) => ({ insertOne: { document } })),
  );
  const refused = rejected.find(({ code }) => code !== DUPLICATE_KEY);
  if (refused) throw new Error(`Document ${refused.index} not inserted: ${refused.message}`);
}
