import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BackupError, type Log } from './database-backup';

/** True when the MongoDB database tools are installed (then they do the work). */
export function hasMongoTool(tool: 'mongodump' | 'mongorestore'): boolean {
  const result = spawnSync(tool, ['--version'], { stdio: 'ignore' });
  return result.status === 0;
}

function runTool(tool: string, args: string[], log: Log): void {
  // The URL may carry credentials: never echo it.
  log(`  running ${tool} ${args.filter((arg) => !arg.startsWith('--uri=')).join(' ')}`);
  const result = spawnSync(tool, args, { stdio: 'inherit' });
  if (result.status !== 0) throw new BackupError(`${tool} failed (exit ${result.status ?? result.signal})`);
}

/** mongodump of the URL's database into <dir>/<database>/, the layout the driver backup writes too. */
export function mongodump(mongoUrl: string, dir: string, log: Log): void {
  runTool('mongodump', [`--uri=${mongoUrl}`, `--out=${dir}`], log);
}

/** mongorestore of <dir>/<source database>/ into the URL's database. */
export function mongorestore(mongoUrl: string, dir: string, sourceDatabase: string, log: Log): void {
  runTool('mongorestore', [`--uri=${mongoUrl}`, join(dir, sourceDatabase)], log);
}
