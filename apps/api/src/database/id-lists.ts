/** Each id once, in its first place, in lists of at most `size`: the `_id: {$in}` lists of one statement each. */
export function idLists(ids: readonly string[], size: number): string[][] {
  const unique = [...new Set(ids)];
  const lists: string[][] = [];
  for (let offset = 0; offset < unique.length; offset += size) lists.push(unique.slice(offset, offset + size));
  return lists;
}
