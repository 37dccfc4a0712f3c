import { tolerantBulkWrite } from './tolerant-bulk-write';

describe('tolerantBulkWrite', () => {
  it('writes in chunks, keeps upserted indexes and reports refused documents without stopping', async () => {
    const calls: number[][] = [];
    const model = {
      async bulkWrite(operations: number[]) {
        calls.push(operations);
        if (operations.includes(3)) {
          throw Object.assign(new Error('E11000'), {
            writeErrors: [{ index: 1, errmsg: 'duplicate key', code: 11000 }],
            result: { upsertedIds: { 0: 'a' }, upsertedCount: 1 },
          });
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

  it('sends again what a database that stopped at the first refused statement neither wrote nor refused', async () => {
    // FerretDB without UPDATE_STATEMENTS_TOGETHER: the statements before the refused one are written, the
    // refused one is named statement 0, those after it are not run.
    const stored = new Set<number>();
    const calls: number[][] = [];
    const model = {
      async bulkWrite(operations: number[]) {
        calls.push(operations);
        const refused = operations.indexOf(2);
        for (const operation of refused < 0 ? operations : operations.slice(0, refused)) stored.add(operation);
        if (refused < 0) return { upsertedIds: {} };
        throw Object.assign(new Error('E11000'), {
          writeErrors: [{ index: 0, errmsg: 'duplicate key', code: 11000 }],
          result: { upsertedIds: {}, matchedCount: 0, upsertedCount: 0 },
        });
      },
    };
    const result = await tolerantBulkWrite(model, [0, 1, 2, 3, 4], 5);
    expect([...stored].sort()).toEqual([0, 1, 3, 4]);
    expect(result.rejected.map(({ index }) => index)).toContain(2);
    expect(calls).toEqual([
      [0, 1, 2, 3, 4],
      [1, 2, 3, 4],
      [2, 3, 4],
      [3, 4],
    ]);
  });

  it('throws anything that is not a per-document refusal, for the caller to retry', async () => {
    const model = { bulkWrite: () => Promise.reject(new Error('connection closed')) };
    await expect(tolerantBulkWrite(model, [1], 2)).rejects.toThrow('connection closed');
  });
});
