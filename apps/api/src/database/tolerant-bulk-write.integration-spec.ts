import type { Connection, mongo } from 'mongoose';
import { useThrowawayDatabase } from '../../test/throwaway-database';
import { DUPLICATE_KEY } from './duplicate-key';
import { tolerantBulkWrite, type BulkWritable } from './tolerant-bulk-write';
import { commandBulkWriter } from './write-commands';

type Doc = { _id: string; n?: number; values?: number[] };
type Operation = Parameters<mongo.Collection<Doc>['bulkWrite']>[0][number];

// The same behaviour through both writers tolerantBulkWrite is given: the driver's collection, and
// one database command per chunk (write-commands.ts, the hot writes').
describe.each([
  ['the driver', (collection: mongo.Collection<Doc>): BulkWritable<Operation> => collection],
  [
    'write commands',
    (collection: mongo.Collection<Doc>, connection: Connection): BulkWritable<Operation> =>
      commandBulkWriter({ db: connection, collection }) as unknown as BulkWritable<Operation>,
  ],
])('tolerantBulkWrite through %s (real database)', (_, writerOf) => {
  const database = useThrowawayDatabase('tolerant-bulk-write');
  let collection = 0;
  let docs: () => mongo.Collection<Doc>;
  beforeEach(() => {
    const name = `docs-${++collection}`;
    docs = () => database().collection(name);
  });

  it('reports only the refused inserts; the others of their chunk are written once', async () => {
    await docs().insertMany([{ _id: 'b' }, { _id: 'd' }]);
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const result = await tolerantBulkWrite(
      writerOf(docs(), database()),
      ids.map((_id) => ({ insertOne: { document: { _id, n: 2 } } })),
      4,
    );
    expect(result.rejected.map(({ index, code }) => [ids[index], code])).toEqual([
      ['b', DUPLICATE_KEY],
      ['d', DUPLICATE_KEY],
    ]);
    const stored = await docs().find({}).sort({ _id: 1 }).toArray();
    expect(stored.map(({ _id, n }) => [_id, n ?? null])).toEqual([
      ['a', 2],
      ['b', null],
      ['c', 2],
      ['d', null],
      ['e', 2],
    ]);
  });

  it('writes the documents after one the database cannot store', async () => {
    // MongoDB stores an infinity inside an array; FerretDB's storage cannot, and refuses that document alone.
    const ids = ['a', 'b', 'c'];
    const result = await tolerantBulkWrite(
      writerOf(docs(), database()),
      ids.map((_id) => ({ insertOne: { document: _id === 'b' ? { _id, values: [Infinity] } : { _id } } })),
    );
    const stored = (await docs().find({}).sort({ _id: 1 }).toArray()).map(({ _id }) => _id);
    const refused = result.rejected.map(({ index }) => ids[index]);
    expect([...stored, ...refused].sort()).toEqual(ids);
    expect(stored).toEqual(expect.arrayContaining(['a', 'c']));
  });

  it('names the upserts by their index in the whole list, past a refused statement', async () => {
    await docs().insertOne({ _id: 'b', n: 1 });
    const ids = ['a', 'b', 'c', 'd'];
    // b exists and does not match: its upsert's insert is a duplicate key.
    const writer = writerOf(docs(), database());
    const bulkWrite = jest.spyOn(writer, 'bulkWrite');
    const result = await tolerantBulkWrite(
      writer,
      ids.map((_id) => ({ updateOne: { filter: { _id, n: { $ne: 1 } }, update: { $set: { n: 3 } }, upsert: true } })),
      3,
    );
    // The counts of the chunk with the refused statement add up: it is not sent again.
    expect(bulkWrite).toHaveBeenCalledTimes(2);
    expect(result.rejected.map(({ index, code }) => [ids[index], code])).toEqual([['b', DUPLICATE_KEY]]);
    expect(Object.keys(result.upsertedIds).map((index) => ids[Number(index)])).toEqual(['a', 'c', 'd']);
  });
});
