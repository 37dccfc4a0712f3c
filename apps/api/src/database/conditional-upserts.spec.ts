import { conditionalUpserts } from './conditional-upserts';

const refusal = (index: number, code: number) => ({ index, code, errmsg: `E${code}` });

describe('conditionalUpserts', () => {
  it('sends duplicate keys once more: those that match now were an insert race, the others did not match', async () => {
    const calls: string[][] = [];
    const rounds = [
      // First round: b lost an insert race, c did not match, d is refused for good.
      () =>
        Promise.reject(
          Object.assign(new Error('E11000'), { writeErrors: [refusal(1, 11000), refusal(2, 11000), refusal(3, 121)], result: { upsertedIds: { 0: 'a' } } }),
        ),
      () => Promise.resolve({ upsertedIds: {} }),
      // Second round, [b, c]: c still does not match.
      () => Promise.reject(Object.assign(new Error('E11000'), { writeErrors: [refusal(1, 11000)], result: { upsertedIds: {} } })),
    ];
    const model = {
      bulkWrite(operations: string[]) {
        calls.push(operations);
        const next = rounds.shift();
        return next ? next() : Promise.resolve({ upsertedIds: {} });
      },
    };
    const result = await conditionalUpserts(model, ['a', 'b', 'c', 'd']);
    expect(calls).toEqual([['a', 'b', 'c', 'd'], ['a'], ['b', 'c'], ['b']]);
    expect(result).toEqual({ upsertedIds: { 0: 'a' }, unmatched: [2], rejected: [{ index: 3, message: 'E121', code: 121 }] });
  });

  it('writes once when nothing is refused', async () => {
    const model = { bulkWrite: jest.fn().mockResolvedValue({ upsertedIds: { 1: 'b' } }) };
    expect(await conditionalUpserts(model, ['a', 'b'])).toEqual({ upsertedIds: { 1: 'b' }, unmatched: [], rejected: [] });
    expect(model.bulkWrite).toHaveBeenCalledTimes(1);
  });
});
