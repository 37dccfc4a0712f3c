/** Dotted numbers only: `1`, `0.5`, `1.10.2`. */
export const VERSION_PATTERN = /^\d+(\.\d+)*$/;
export const MAX_VERSION_LENGTH = 64;

/** True for a dotted-number version of at most MAX_VERSION_LENGTH characters. */
export function isValidVersion(version: string): boolean {
  return version.length <= MAX_VERSION_LENGTH && VERSION_PATTERN.test(version);
}

function assertVersion(version: string): void {
  if (!isValidVersion(version)) throw new RangeError(`not a dotted-number version: ${JSON.stringify(version)}`);
}

function components(version: string): string[] {
  assertVersion(version);
  // Compared as digit strings, so components beyond 2^53 still order correctly.
  return version.split('.').map((part) => part.replace(/^0+(?=\d)/, ''));
}

function compareComponent(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Orders dotted numbers component by component (`1.10` > `1.9`). Missing components count as 0 and
 * leading zeros are ignored, so `1`, `1.0` and `1.00` compare equal (0). Throws RangeError on an
 * invalid version.
 */
export function compareVersions(a: string, b: string): number {
  const left = components(a);
  const right = components(b);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const order = compareComponent(left[i] ?? '0', right[i] ?? '0');
    if (order !== 0) return order;
  }
  return 0;
}

function compareDeterministic(a: string, b: string): number {
  // Break numeric ties ("1" vs "1.0") by text so the order never depends on the input order.
  return compareVersions(a, b) || a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** A new array, oldest first. Throws RangeError on an invalid version. */
export function sortVersions(versions: readonly string[]): string[] {
  return [...versions].sort(compareDeterministic);
}

/** The newest version, or null for an empty list. Throws RangeError on an invalid version. */
export function latestVersion(versions: readonly string[]): string | null {
  let latest: string | null = null;
  for (const version of versions) {
    assertVersion(version);
    if (latest === null || compareDeterministic(version, latest) > 0) latest = version;
  }
  return latest;
}
