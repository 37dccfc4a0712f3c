import { InvalidArgumentError } from 'commander';

function integer(value: string, min: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) throw new InvalidArgumentError(`expected an integer of at least ${min}`);
  return parsed;
}

export const positiveInteger = (value: string): number => integer(value, 1);
export const nonNegativeInteger = (value: string): number => integer(value, 0);

export function positiveSeconds(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a number of seconds above 0');
  return parsed;
}

/** "a,b , c" → ["a", "b", "c"]. */
export function commaList(value: string): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list');
  return items;
}
