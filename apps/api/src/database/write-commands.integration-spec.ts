import { useThrowawayDatabase } from '../../test/throwaway-database';
import { conditionalUpserts } from './conditional-upserts';
import { commandBulkWriter, insertCommand } from './write-commands';

// tolerantBulkWrite through commandBulkWriter: tolerant-bulk-write.integration-spec.ts.
describe('write commands (real database)', () => {
  const database = useThrowawayDatabase('write-commands');
  let collection = 0;
  let name: string;
  const target = () => ({ db: database(), collection: { collectionName: name } });
  const stored = async () => (await database().collection(name).find({}).sort({ _id: 1 }).toArray()).map(({ _id, n }) => [_id, n ?? null]);
  beforeEach(() => {
    name = `docs-${++collection}`;
  });

  it('writes the documents after one the database cannot store', async () => {
    // MongoDB stores an infinity inside an array; FerretDB's storage cannot, and refuses that document alone.
    const ids = ['a', 'b', 'c'];
    const result = await insertCommand(
      target(),
      ids.map((_id) => (_id === 'b' ? { _id, values: [Infinity] } : { _id })),
    );
    const refused = result.writeErrors.map(({ index }) => ids[index]);
    const written = (await stored()).map(([_id]) => _id);
    expect([...written, ...refused].sort()).toEqual(ids);
    expect(written).toEqual(expect.arrayContaining(['a', 'c']));
    expect(result.n).toBe(written.length);
  });

  it('tells a condition that did not hold from an update that matched', async () => {
    await database()
      .collection(name)
      .insertMany([
        { _id: 'a' as never, n: 1 },
        { _id: 'b' as never, n: 5 },
      ]);
    const ids = ['a', 'b', 'c'];
    // Raise n to 4, never lower it.
    const result = await conditionalUpserts(
      commandBulkWriter(target()),
      ids.map((_id) => ({ updateOne: { filter: { _id, n: { $lt: 4 } }, update: { $set: { n: 4 } }, upsert: true } })),
      async (indices) => new Set(indices),
    );
    expect(result).toEqual({ upsertedIds: { 2: 'c' }, unmatched: [1], rejected: [] });
    expect(await stored()).toEqual([
      ['a', 4],
      ['b', 5],
      ['c', 4],
    ]);
  });
});
