import { isValidVersion } from '@upgrade-manager/frame-codec';

/** What a file in the resources folder may be called besides the bare version (`1.2.bin`). */
export const IMAGE_FILE_EXTENSION = '.bin';

/**
 * One key for versions that order as equal (`1`, `1.0`, `01.00`), so the database can refuse a
 * second image that gateways could not tell apart. Null for an invalid version.
 */
export function versionKey(version: string): string | null {
  if (!isValidVersion(version)) return null;
  const parts = version.split('.').map((part) => part.replace(/^0+(?=\d)/, ''));
  while (parts.length > 1 && parts[parts.length - 1] === '0') parts.pop();
  return parts.join('.');
}

/** The version a resources-folder file stands for (`1.2` or `1.2.bin`), or null for any other name. */
export function versionFromFileName(fileName: string): string | null {
  const base = fileName.toLowerCase().endsWith(IMAGE_FILE_EXTENSION) ? fileName.slice(0, -IMAGE_FILE_EXTENSION.length) : fileName;
  return isValidVersion(base) ? base : null;
}

/** Files that belong in the resources folder without being images (its README, .gitkeep, editor files). */
export function isIgnoredResourceName(fileName: string): boolean {
  return fileName.startsWith('.') || /^readme(\.|$)/i.test(fileName) || fileName.endsWith('~');
}
