/**
 * Runs `task` for every item with at most `limit` running at once, in order of the items.
 * A task's rejection does not stop the others; it is collected in the result.
 */
export async function forEachConcurrently<T>(
  items: Iterable<T>,
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<{ item: T; error: unknown }[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const iterator = items[Symbol.iterator]();
  const failures: { item: T; error: unknown }[] = [];
  let index = 0;
  const worker = async (): Promise<void> => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      const item = next.value;
      try {
        await task(item, index++);
      } catch (error) {
        failures.push({ item, error });
      }
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return failures;
}
