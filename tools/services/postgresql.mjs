// The PostgreSQL cluster under FerretDB when FERRETDB_BACKEND=postgresql: this project's own cluster
// in ${DATA_DIR}/postgresql (never the system's service), reachable only through a Unix socket in
// that folder, so no port is taken and no other user of the machine can connect. Started and
// stopped with pg_ctl from Debian's `postgresql` package (installed with apt-get when missing).
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceError } from './config.mjs';
import { findExecutable } from './install.mjs';
import { isAlive } from './process-control.mjs';

// PostgreSQL names its socket file after a port even when it listens on no TCP port.
const SOCKET_PORT = 5432;
const SUPERUSER = 'ferretdb';
export const POSTGRESQL_DATABASE = 'ferretdb';
// Settings for a local FerretDB backend. synchronous_commit=off: a commit is acknowledged before
// its WAL record is flushed, so a crash can lose the last few hundred milliseconds of commits but
// never corrupts anything; that is what MongoDB's default write concern (journal every 100 ms)
// and the SQLite backend's synchronous(NORMAL) promise too.
const SERVER_SETTINGS = ["listen_addresses=''", 'synchronous_commit=off', 'max_connections=200'];

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Debian's /usr/lib/postgresql/<major>/bin of the newest installed major version, or null. */
export function findPostgresqlBinDir() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const majors = readdirSync(base)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(base, name, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length > 0 ? join(base, majors[0], 'bin') : null;
}

/** The bin folder of PostgreSQL, installing Debian's `postgresql` package with apt-get (as root) when missing. */
export function ensurePostgresql({ log = console.log } = {}) {
  const found = findPostgresqlBinDir();
  if (found) return found;
  const aptGet = findExecutable('apt-get', ['/usr/bin']);
  if (isRoot() && aptGet) {
    log('PostgreSQL is not installed; installing it with apt-get (postgresql)...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [['update'], ['install', '-y', 'postgresql']]) {
      const result = spawnSync(aptGet, args, { stdio: 'inherit', env });
      if (result.status !== 0) throw new ServiceError(`\`apt-get ${args.join(' ')}\` failed with exit code ${result.status}.`);
    }
    const installed = findPostgresqlBinDir();
    if (installed) return installed;
  }
  throw new ServiceError(
    [
      'FERRETDB_BACKEND=postgresql needs PostgreSQL (Debian: sudo apt-get install -y postgresql), not found in /usr/lib/postgresql/*/bin.',
      'Install it, or set FERRETDB_BACKEND=sqlite in .env.',
    ].join('\n'),
  );
}

/**
 * As root, PostgreSQL's programs refuse to run: they run as the `postgres` account of Debian's
 * package, which then owns the cluster's folder. Otherwise as the current user.
 */
function runAs() {
  if (!isRoot()) return null;
  const result = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const uid = Number(result.stdout?.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout?.trim());
  if (result.status !== 0 || !Number.isInteger(uid))
    throw new ServiceError('Running as root, PostgreSQL needs the `postgres` account (created by the postgresql package).');
  return { user: 'postgres', uid, gid };
}

function pgRun(binDir, program, args, { as } = {}) {
  const command = as ? 'runuser' : join(binDir, program);
  const fullArgs = as ? ['-u', as.user, '--', join(binDir, program), ...args] : args;
  const result = spawnSync(command, fullArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    throw new ServiceError(`\`${program} ${args.join(' ')}\` failed with exit code ${result.status}${output ? `:\n${output}` : ''}`);
  }
}

/** The URL FerretDB connects with: the superuser over the cluster's socket. */
export function postgresqlUrl(p) {
  return `postgres://${SUPERUSER}@/${POSTGRESQL_DATABASE}?host=${encodeURIComponent(p.socketDir)}&port=${SOCKET_PORT}`;
}

/** Pid of the cluster's postmaster when it runs (first line of postmaster.pid), else null. */
export function postgresqlPid(p) {
  try {
    const pid = Number(readFileSync(join(p.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

function prepareFolders(p, as) {
  mkdirSync(p.dir, { recursive: true });
  mkdirSync(p.socketDir, { recursive: true });
  for (const dir of [p.dir, p.socketDir]) {
    if (as) chownSync(dir, as.uid, as.gid);
    // Only the cluster's owner (and root) may reach the socket: its connections are trusted.
    chmodSync(dir, 0o700);
  }
}

/** Starts the cluster (creating it on first use); returns its postmaster's pid. Idempotent. */
export async function startPostgresql(p, { log = console.log } = {}) {
  const running = postgresqlPid(p);
  if (running) return running;
  const binDir = ensurePostgresql({ log });
  const as = runAs();
  prepareFolders(p, as);
  const fresh = !existsSync(join(p.dataDir, 'PG_VERSION'));
  if (fresh) {
    log(`postgresql: creating the cluster in ${p.dataDir}`);
    pgRun(binDir, 'initdb', ['-D', p.dataDir, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8'], { as });
  }
  const options = ['-k', p.socketDir, '-p', String(SOCKET_PORT), ...SERVER_SETTINGS.flatMap((setting) => ['-c', setting])].join(' ');
  pgRun(binDir, 'pg_ctl', ['start', '-D', p.dataDir, '-l', p.logFile, '-w', '-t', '60', '-o', options], { as });
  if (fresh) pgRun(binDir, 'createdb', ['-h', p.socketDir, '-p', String(SOCKET_PORT), '-U', SUPERUSER, POSTGRESQL_DATABASE], { as });
  const pid = postgresqlPid(p);
  if (!pid) throw new ServiceError(`postgresql: pg_ctl reported a start, but no postmaster runs; log ${p.logFile}`);
  log(`postgresql: started (pid ${pid}, socket in ${p.socketDir}); log ${p.logFile}`);
  return pid;
}

/** Stops the cluster (fast shutdown: open connections are closed). Returns the pid it stopped, or null. */
export async function stopPostgresql(p, { log = console.log } = {}) {
  const pid = postgresqlPid(p);
  if (!pid) return null;
  const binDir = findPostgresqlBinDir();
  if (!binDir) throw new ServiceError(`postgresql: pid ${pid} runs, but pg_ctl was not found to stop it.`);
  pgRun(binDir, 'pg_ctl', ['stop', '-D', p.dataDir, '-m', 'fast', '-w', '-t', '30'], { as: runAs() });
  log(`postgresql: stopped (pid ${pid}).`);
  return pid;
}
