import { useThrowawayDatabase } from '../../test/throwaway-database';
import { chunkedBulkWrite } from './chunked-bulk-write';

// The ingest, the deployment tracker, the delivery progress and the rollout controller each write
// in bulk on their own. FerretDB 1.24 as released held a pooled connection per update statement
// until its command ended, so such writers adding up to about 100 statements hung it for good;
// the project's build closes each statement's query before it writes (tools/services/ferretdb-source-fixes.mjs).
// On PostgreSQL (a pool of 50) single updates from 50 clients were enough once (a race; this test
// does not reliably catch it, it checks that updates and findOneAndUpdates stay right under the fix).
// FerretDB as released also applied an update as a read and a later write of the whole document,
// so a concurrent update of the same document in between was undone; the build runs each
// collection's updates one at a time from read to write.
describe('concurrent bulk updates (real database)', () => {
  const DOCUMENTS = 400;
  // More than either backend's pool of database connections (SQLite 100, PostgreSQL 50).
  const CONCURRENT = 150;
  const database = useThrowawayDatabase('concurrent-updates', { maxPoolSize: CONCURRENT + 10 });

  beforeAll(async () => {
    await database()
      .collection('docs')
      .insertMany(Array.from({ length: DOCUMENTS }, (_, index) => ({ _id: `d${index}` as never, n: 0 })));
  });

  it('applies four writers of 100 conditional updates each, in commands of 50, at the same time', async () => {
    const docs = database().collection('docs');
    const writer = (first: number) =>
      chunkedBulkWrite(
        docs,
        Array.from({ length: 100 }, (_, index) => ({
          updateOne: { filter: { _id: `d${first + index}` as never, n: { $gte: 0 } }, update: { $inc: { n: 1 } } },
        })),
        50,
      );
    await Promise.all([0, 100, 200, 300].map(writer));
    expect(await docs.countDocuments({ n: 1 })).toBe(DOCUMENTS);
  });

  it('applies upserts, updates and findOneAndUpdates from 150 clients at once (more than the database has pooled connections)', async () => {
    // Its own documents: each client's first upsert inserts one.
    const docs = database().collection('clients');
    const ROUNDS = 10;
    const client = async (index: number) => {
      const filter = { _id: `c${index}` as never };
      await docs.updateOne(filter, { $inc: { n: 10 }, $setOnInsert: { created: index } }, { upsert: true });
      for (let round = 1; round < ROUNDS; round++) {
        if (round % 2 === 0) {
          await docs.updateOne(filter, { $inc: { n: 10 }, $setOnInsert: { created: -1 } }, { upsert: true });
        } else {
          expect(await docs.findOneAndUpdate(filter, { $inc: { n: 10 } }, { returnDocument: 'before' })).toMatchObject({ n: 10 * round });
        }
      }
      expect(await docs.findOneAndUpdate(filter, { $inc: { n: 1 } }, { returnDocument: 'after' })).toMatchObject({ n: 10 * ROUNDS + 1, created: index });
    };
    await Promise.all(Array.from({ length: CONCURRENT }, (_, index) => client(index)));
    expect(await docs.countDocuments({ n: 10 * ROUNDS + 1 })).toBe(CONCURRENT);
  });

  it('loses no update when two writers change the same documents at the same time (each update is atomic on its document)', async () => {
    const docs = database().collection('shared');
    await docs.insertMany(Array.from({ length: DOCUMENTS }, (_, index) => ({ _id: `s${index}` as never, n: 0, a: 0, b: 0 })));
    const ROUNDS = 4;
    const writer = async (field: 'a' | 'b') => {
      for (let round = 0; round < ROUNDS; round++) {
        await chunkedBulkWrite(
          docs,
          Array.from({ length: DOCUMENTS }, (_, index) => ({ updateOne: { filter: { _id: `s${index}` as never }, update: { $inc: { n: 1, [field]: 1 } } } })),
          20,
        );
      }
    };
    // A findOneAndUpdate writer on the same documents beside the two bulk writers.
    const single = async () => {
      for (let index = 0; index < DOCUMENTS; index += 4) await docs.findOneAndUpdate({ _id: `s${index}` as never }, { $inc: { n: 1 } });
    };
    await Promise.all([writer('a'), writer('b'), single()]);
    const wrong = await docs.find({ $or: [{ a: { $ne: ROUNDS } }, { b: { $ne: ROUNDS } }] }).toArray();
    expect(wrong).toEqual([]);
    expect(await docs.countDocuments({ n: 2 * ROUNDS + 1 })).toBe(DOCUMENTS / 4);
    expect(await docs.countDocuments({ n: 2 * ROUNDS })).toBe(DOCUMENTS - DOCUMENTS / 4);
  });
});
