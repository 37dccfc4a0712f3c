import { IDS_PER_READ, readsById } from './reads-by-id';

describe('readsById', () => {
  it('reads each id once in lists of at most IDS_PER_READ and returns what was found in the order of the ids', async () => {
    const ids = Array.from({ length: IDS_PER_READ + 3 }, (_, index) => `id${index}`);
    const lists: string[][] = [];
    const found = await readsById(
      ['id2', ...ids, 'id1'],
      async (listed) => {
        lists.push(listed);
        // Found in another order, the odd ones missing.
        return listed
          .filter((id) => Number(id.slice(2)) % 2 === 0)
          .reverse()
          .map((id) => ({ key: id }));
      },
      (document) => document.key,
    );
    expect(lists.map((list) => list.length)).toEqual([IDS_PER_READ, 3]);
    expect(found.map(({ key }) => key)).toEqual(['id2', ...ids.filter((id) => id !== 'id2' && Number(id.slice(2)) % 2 === 0)]);
  });
});
