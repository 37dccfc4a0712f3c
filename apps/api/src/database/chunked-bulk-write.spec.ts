import type { Model } from 'mongoose';
import { chunkedBulkWrite } from './chunked-bulk-write';

describe('chunkedBulkWrite', () => {
  it('writes in chunks and maps upserted ids back to the operation indexes', async () => {
    const sizes: number[] = [];
    const model = {
      bulkWrite: jest.fn(async (operations: unknown[]) => {
        sizes.push(operations.length);
        return { upsertedIds: { 1: `id-of-chunk-${sizes.length}` } };
      }),
    } as unknown as Model<{ a: number }>;
    const operations = Array.from({ length: 7 }, (_, a) => ({ insertOne: { document: { a } } }));

    const { upsertedIds } = await chunkedBulkWrite(model, operations, 3);

    expect(sizes).toEqual([3, 3, 1]);
    expect(upsertedIds).toEqual({ 1: 'id-of-chunk-1', 4: 'id-of-chunk-2', 7: 'id-of-chunk-3' });
  });

  it('sends nothing for no operations', async () => {
    const model = { bulkWrite: jest.fn() } as unknown as Model<{ a: number }>;
    await chunkedBulkWrite(model, []);
    expect(model.bulkWrite).not.toHaveBeenCalled();
  });
});
