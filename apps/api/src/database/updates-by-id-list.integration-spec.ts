import { useThrowawayDatabase } from '../../test/throwaway-database';
import { IDS_PER_UPDATE, updateListed } from './updates-by-id-list';

// The project's FerretDB build narrows `_id: {$in}` of strings and ObjectIds to its `_id` index and
// applies the whole filter to what that returns; other lists are scanned. Both must select what
// MongoDB selects.
describe('updateListed (real database)', () => {
  const DOCUMENTS = 2 * IDS_PER_UPDATE + 50;
  const database = useThrowawayDatabase('updates-by-id-list');
  const docs = () => database().collection<{ _id: string | number; n: number; even: boolean }>('docs');

  beforeAll(async () => {
    await docs().insertMany(Array.from({ length: DOCUMENTS }, (_, index) => ({ _id: `d${index}`, n: 0, even: index % 2 === 0 })));
    await docs().insertOne({ _id: 7, n: 0, even: false });
  });

  it('updates every listed document that matches the condition, over several statements, and counts them exactly', async () => {
    const listed = Array.from({ length: DOCUMENTS }, (_, index) => `d${index}`);
    const statements: number[] = [];
    const modified = await updateListed([...listed, 'missing', 'd0'], (ids) => {
      statements.push(ids.length);
      return docs().updateMany({ _id: { $in: ids }, even: true }, { $inc: { n: 1 } });
    });
    expect(modified).toBe(DOCUMENTS / 2);
    expect(statements.every((size) => size <= IDS_PER_UPDATE)).toBe(true);
    expect(statements.reduce((sum, size) => sum + size, 0)).toBe(DOCUMENTS + 1); // the repeated id once
    expect(await docs().countDocuments({ n: 1 })).toBe(DOCUMENTS / 2);
    expect(await docs().countDocuments({ n: 1, even: false })).toBe(0);
  });

  it('selects the same documents when the list mixes types (scanned) and when nothing is listed', async () => {
    const mixed = await docs().updateMany({ _id: { $in: ['d1', 7, 'd2'] } }, { $set: { n: 5 } });
    expect(mixed.modifiedCount).toBe(3);
    expect(await docs().countDocuments({ n: 5 })).toBe(3);
    expect(await updateListed([], () => Promise.reject(new Error('no statement for an empty list')))).toBe(0);
    expect((await docs().updateMany({ _id: { $in: [] } }, { $set: { n: 9 } })).modifiedCount).toBe(0);
  });
});
