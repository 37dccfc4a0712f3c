import { readdir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { versionFromFileName, versionKey } from './version-names';

/** RESOURCES_DIR, relative to the working directory (the repository root for `npm start`). */
export function resolveResourcesDir(configured: string): string {
  return resolve(process.cwd(), configured);
}

/**
 * Deletes the folder's files of a version (`1.2`, `1.2.bin`, `1.2.0`: any name of an equal
 * version), so that a deleted version is not imported again at the next start. Returns their names.
 */
export async function removeResourceFiles(dir: string, version: string): Promise<string[]> {
  const key = versionKey(version);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const matching = names.filter((name) => {
    const named = versionFromFileName(name);
    return named !== null && versionKey(named) === key;
  });
  await Promise.all(matching.map((name) => unlink(join(dir, name)).catch(() => undefined)));
  return matching;
}
