import { groupsOfEqual, IDS_PER_UPDATE, updateListed } from './updates-by-id-list';

describe('groupsOfEqual', () => {
  it('groups items of equal values in the order each group first appears, telling a Date from its string', () => {
    const at = new Date('2026-12-02T08:00:00Z');
    const items = [
      { id: 'a', value: { at, n: 1 } },
      { id: 'b', value: { at: at.toISOString(), n: 1 } },
      { id: 'c', value: { at: new Date(at.getTime()), n: 1 } },
      { id: 'd', value: { at, n: 2 } },
    ];
    expect(groupsOfEqual(items, ({ value }) => value).map((group) => group.map(({ id }) => id))).toEqual([['a', 'c'], ['b'], ['d']]);
  });
});

describe('updateListed', () => {
  it('sends each id once, in lists of at most IDS_PER_UPDATE, and adds up what they modified', async () => {
    const ids = Array.from({ length: IDS_PER_UPDATE * 2 + 1 }, (_, index) => `id${index}`);
    const lists: string[][] = [];
    const modified = await updateListed([...ids, 'id0'], async (listed) => {
      lists.push(listed);
      return { modifiedCount: listed.length - 1 };
    });
    expect(lists.map((list) => list.length)).toEqual([IDS_PER_UPDATE, IDS_PER_UPDATE, 1]);
    expect(lists.flat()).toEqual(ids);
    expect(modified).toBe(ids.length - 3);
  });
});
