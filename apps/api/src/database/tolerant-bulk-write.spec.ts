import { tolerantBulkWrite } from './tolerant-bulk-write';

describe('tolerantBulkWrite', () => {
  it('writes in chunks, keeps upserted indexes and reports refused documents without stopping', async () => {
    const calls: number[][] = [];
    const model = {
      async bulkWrite(operations: number[]) {
        calls.push(operations);
        if (operations.includes(3)) {
          throw Object.assign(new Error('E11000'), { writeErrors: [{ index: 1, errmsg: 'duplicate key', code: 11000 }], result: { upsertedIds: { 0: 'a' } } });
        }
        return { upsertedIds: { 0: `id-${operations[0]}` } };
      },
    };
    const result = await tolerantBulkWrite(model, [0, 1, 2, 3, 4, 5], 2);
    // The database wrote the rest of the chunk with the refused document: nothing is sent again.
    expect(calls).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(result.upsertedIds).toEqual({ 0: 'id-0', 2: 'a', 4: 'id-4' });
    expect(result.rejected).toEqual([{ index: 3, message: 'duplicate key', code: 11000 }]);
  });

  it('throws anything that is not a per-document refusal, for the caller to retry', async () => {
    const model = { bulkWrite: () => Promise.reject(new Error('connection closed')) };
    await expect(tolerantBulkWrite(model, [1], 2)).rejects.toThrow('connection closed');
  });
});
