import { conditionalUpserts } from './conditional-upserts';

const refusal = (index: number, code: number) => ({ index, code, errmsg: `E${code}` });

describe('conditionalUpserts', () => {
  it('sends duplicate keys once more: those that match now were an insert race, the others did not match', async () => {
    const calls: string[][] = [];
    const rounds = [
      // First round: b lost an insert race, c did not match, d is refused for good.
      () =>
        Promise.reject(
          Object.assign(new Error('E11000'), {
            writeErrors: [refusal(1, 11000), refusal(2, 11000), refusal(3, 121)],
            result: { upsertedIds: { 0: 'a' }, upsertedCount: 1 },
          }),
        ),
      // Second round, [b, c]: c still does not match.
      () => Promise.reject(Object.assign(new Error('E11000'), { writeErrors: [refusal(1, 11000)], result: { upsertedIds: {}, matchedCount: 1 } })),
    ];
    const model = {
      bulkWrite(operations: string[]) {
        calls.push(operations);
        const next = rounds.shift();
        return next ? next() : Promise.resolve({ upsertedIds: {} });
      },
    };
    const result = await conditionalUpserts(model, ['a', 'b', 'c', 'd'], async (indices) => new Set(indices));
    expect(calls).toEqual([
      ['a', 'b', 'c', 'd'],
      ['b', 'c'],
    ]);
    expect(result).toEqual({ upsertedIds: { 0: 'a' }, unmatched: [2], rejected: [{ index: 3, message: 'E121', code: 121 }] });
  });

  it('refuses a duplicate key whose document does not exist: it collides on another unique field', async () => {
    const duplicate = () => Promise.reject(Object.assign(new Error('E11000'), { writeErrors: [refusal(0, 11000)], result: { upsertedIds: {} } }));
    const rounds = [duplicate, duplicate];
    const model = { bulkWrite: () => (rounds.shift() ?? (() => Promise.resolve({ upsertedIds: {} })))() };
    const existing = jest.fn(async () => new Set<number>());
    expect(await conditionalUpserts(model, ['a'], existing)).toEqual({
      upsertedIds: {},
      unmatched: [],
      rejected: [{ index: 0, message: 'E11000', code: 11000 }],
    });
    expect(existing).toHaveBeenCalledWith([0]);
  });

  it('writes once when nothing is refused', async () => {
    const model = { bulkWrite: jest.fn().mockResolvedValue({ upsertedIds: { 1: 'b' } }) };
    expect(await conditionalUpserts(model, ['a', 'b'], async () => new Set())).toEqual({ upsertedIds: { 1: 'b' }, unmatched: [], rejected: [] });
    expect(model.bulkWrite).toHaveBeenCalledTimes(1);
  });
});
