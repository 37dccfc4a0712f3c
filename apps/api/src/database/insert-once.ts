import type { Collection, mongo } from 'mongoose';
import { onlyDuplicateKeys } from './duplicate-key';

/**
 * Inserts documents whose `_id` says what they record, so that writing one again changes nothing:
 * those already there are left as they are. One unordered insert, which writes every document but
 * the duplicates. Throws for anything but a duplicate key (so for collections without another
 * unique index, a duplicate `_id`).
 */
export async function insertOnce(model: { collection: Collection }, documents: readonly mongo.Document[]): Promise<void> {
  if (documents.length === 0) return;
  // The driver's collection: the documents are complete as built (see driverCollection).
  const collection = model.collection as unknown as mongo.Collection;
  try {
    await collection.insertMany([...documents], { ordered: false });
  } catch (error) {
    if (!onlyDuplicateKeys(error)) throw error;
  }
}
