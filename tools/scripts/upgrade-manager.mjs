#!/usr/bin/env node
// `npx upgrade-manager <command>` from this repository (the root package's bin): builds the CLI
// (apps/cli) when its build is missing or older than its sources, then runs it.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../env.mjs';

const CLI_MAIN = join(ROOT, 'dist/apps/cli/apps/cli/src/main.js');
// The CLI's sources and the libs it imports.
const SOURCE_DIRS = ['apps/cli/src', 'libs/dto/src', 'libs/api-client/src'].map((dir) => join(ROOT, dir));

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}

function builtAt() {
  try {
    return statSync(CLI_MAIN).mtimeMs;
  } catch {
    return 0;
  }
}

if (Math.max(...SOURCE_DIRS.map(newestMtime)) > builtAt()) {
  process.stderr.write('Building the CLI (apps/cli)...\n');
  const build = spawnSync('npx', ['nx', 'run', 'cli:build', '--outputStyle=static', '--skip-nx-cache'], {
    cwd: ROOT,
    stdio: ['ignore', process.stderr, 'inherit'],
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
await import(pathToFileURL(CLI_MAIN).href);
