import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BenchResult } from './bench-result';

/** `2026-05-14T09-30-00Z`: the start time, safe in a file name, sorting in time order. */
export function resultFileStem(startedAt: string): string {
  return startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** Writes `<dir>/<date>.json` and `<dir>/<date>.md`; returns their paths. */
export function writeResults(dir: string, result: BenchResult, markdown: string): { json: string; markdown: string } {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true });
  const stem = resultFileStem(result.startedAt);
  const paths = { json: join(folder, `${stem}.json`), markdown: join(folder, `${stem}.md`) };
  writeFileSync(paths.json, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(paths.markdown, markdown);
  return paths;
}
