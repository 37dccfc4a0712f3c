import type { Collection, mongo } from 'mongoose';

/**
 * The driver's collection behind a Mongoose model, typed by its `_id`. Hot paths write through it:
 * Mongoose's casting of large bulk writes cost more API CPU than the statements themselves.
 */
export function driverCollection<Id>(model: { collection: Collection }): mongo.Collection<{ _id: Id }> {
  return model.collection as unknown as mongo.Collection<{ _id: Id }>;
}
