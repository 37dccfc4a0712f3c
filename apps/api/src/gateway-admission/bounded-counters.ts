import { isDuplicateKeyError } from '../database/duplicate-key';

export interface CounterDocument {
  _id: string;
  count: number;
}

/** The part of a MongoDB collection the counters use (a mongoose or a driver collection). */
export interface CounterCollection {
  updateOne(filter: object, update: object, options?: { upsert?: boolean }): Promise<unknown>;
  findOneAndUpdate(filter: object, update: object, options: { upsert: boolean; returnDocument: 'after' }): Promise<CounterDocument | null>;
  deleteMany(filter: object): Promise<unknown>;
}

/**
 * Counters shared by every API process, one document each. Taking a slot is one conditional
 * upsert: `{_id, count < limit}` matches while there is room; when the counter is full the upsert
 * tries to insert a second document with the same _id and the database refuses it. So the bound
 * holds however many processes take slots at once, without a transaction.
 */
export class BoundedCounters {
  constructor(private readonly collection: CounterCollection) {}

  /** True when a slot was taken, false when the counter is at its limit. */
  take(key: string, limit: number): Promise<boolean> {
    return this.takeMany(key, 1, limit);
  }

  /** True when `amount` slots were taken at once; false, with nothing taken, when fewer are left. */
  async takeMany(key: string, amount: number, limit: number): Promise<boolean> {
    if (amount > limit) return false;
    // A duplicate key means the counter is full, or that another taker created it first: the
    // second attempt finds it and its condition decides.
    for (let attempt = 1; ; attempt++) {
      try {
        const taken = await this.collection.findOneAndUpdate(
          { _id: key, count: { $lte: limit - amount } },
          { $inc: { count: amount } },
          { upsert: true, returnDocument: 'after' },
        );
        // FerretDB (SQLite) may let concurrent conditional updates both match: the count after the
        // increment says whether this one went past the limit; if so its slots are given back.
        if (taken !== null && taken.count > limit) {
          await this.add(key, -amount);
          return false;
        }
        return true;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        if (attempt === 2) return false;
      }
    }
  }

  /** Adds without a limit (a super user's decision) or gives slots back (a negative amount). */
  async add(key: string, amount: number): Promise<void> {
    await this.collection.updateOne({ _id: key }, { $inc: { count: amount } }, { upsert: true });
  }

  /** Deletes the windows of `prefix` before `current` (the counters of past minutes and hours). */
  async dropWindowsBefore(prefix: string, current: string): Promise<void> {
    await this.collection.deleteMany({ _id: { $gte: `${prefix}:`, $lt: current } });
  }
}

/** The key of the time window `now` falls in: `prefix:<window number>`, fixed-width so keys sort by time. */
export function windowKey(prefix: string, now: Date, windowMs: number): string {
  return `${prefix}:${String(Math.floor(now.getTime() / windowMs)).padStart(12, '0')}`;
}
