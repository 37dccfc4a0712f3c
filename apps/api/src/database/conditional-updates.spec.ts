import { MAX_STATEMENTS_PER_WRITE } from './chunked-bulk-write';
import { conditionalUpdates } from './conditional-updates';

type Operation = { updateOne: { filter: { _id: number }; update: object } };

describe('conditionalUpdates', () => {
  it('takes a fully matched chunk as applied and reads back only the statements of a chunk that was not', async () => {
    const taken = new Set([3, MAX_STATEMENTS_PER_WRITE + 1]);
    const chunks: number[] = [];
    const model = {
      async bulkWrite(operations: Operation[]) {
        chunks.push(operations.length);
        return { matchedCount: operations.filter(({ updateOne }) => !taken.has(updateOne.filter._id)).length };
      },
    };
    const count = MAX_STATEMENTS_PER_WRITE * 2 + 5;
    const updates = Array.from({ length: count }, (_, id) => ({ filter: { _id: id }, update: { $set: { status: 'done' } } }));
    const readBack: number[] = [];
    const applied = await conditionalUpdates(model, updates, async (index) => {
      readBack.push(index);
      return !taken.has(index);
    });
    expect(chunks).toEqual([MAX_STATEMENTS_PER_WRITE, MAX_STATEMENTS_PER_WRITE, 5]);
    // Statements of the two chunks with a miss were read back; the last chunk matched fully.
    expect(readBack).toHaveLength(MAX_STATEMENTS_PER_WRITE * 2);
    expect(applied.filter((ok) => !ok).length).toBe(2);
    expect(applied[3]).toBe(false);
    expect(applied[MAX_STATEMENTS_PER_WRITE + 1]).toBe(false);
    expect(applied[count - 1]).toBe(true);
  });
});
