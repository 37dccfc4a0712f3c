// Runs one of the API's operator commands (apps/api/src/cli: init, sample-companies, backup,
// restore) with .env loaded, after building the API (Nx caches the build when nothing changed).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadEnv, ROOT } from '../env.mjs';

export const CLI_ENTRY = join(ROOT, 'dist/apps/api/apps/api/src/cli/main.js');

function main() {
  loadEnv();
  const build = spawnSync('npx', ['nx', 'run', 'api:build', '--outputStyle=static'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: process.env });
  if (build.status !== 0) {
    console.error('Building the API failed: run `npx nx run api:build` to see why.');
    process.exit(build.status ?? 1);
  }
  const cli = spawnSync(process.execPath, ['--enable-source-maps', CLI_ENTRY, ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit', env: process.env });
  process.exit(cli.status ?? 1);
}

main();
