import { useThrowawayDatabase } from '../../test/throwaway-database';
import { insertOnce } from './insert-once';

describe('insertOnce (real database)', () => {
  const database = useThrowawayDatabase('insert-once');

  it('inserts what is missing and leaves what is there as it is, whatever the order', async () => {
    const model = { db: database(), collection: { collectionName: 'docs' } };
    await insertOnce(model, [
      { _id: 'b', n: 1 },
      { _id: 'd', n: 1 },
    ]);
    // Duplicates between others: an unordered insert goes on past each.
    const duplicates = await insertOnce(
      model,
      ['a', 'b', 'c', 'd', 'e'].map((_id) => ({ _id, n: 2 })),
    );
    expect([...duplicates]).toEqual([1, 3]);
    const stored = await database().collection('docs').find({}).sort({ _id: 1 }).toArray();
    expect(stored.map(({ _id, n }) => [_id, n])).toEqual([
      ['a', 2],
      ['b', 1],
      ['c', 2],
      ['d', 1],
      ['e', 2],
    ]);
  });
});
