// The local MongoDB-compatible database: `mongod` when MongoDB is installed, otherwise FerretDB 1.x
// on the backend FERRETDB_BACKEND names: SQLite (files under ${DATA_DIR}/ferretdb) or this
// project's own PostgreSQL cluster (${DATA_DIR}/postgresql, postgresql.mjs), started before and
// stopped after FerretDB. Started detached, checked with a ping.
import { mkdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ServiceError } from './config.mjs';
import { ensureFerretdb, findMongod } from './install.mjs';
import { postgresqlUrl, startPostgresql, stopPostgresql } from './postgresql.mjs';
import {
  canConnect,
  describePortOwner,
  listeningProcesses,
  removePidFile,
  runningPid,
  spawnDetached,
  stopPid,
  waitFor,
  writePidFile,
} from './process-control.mjs';

const NAME = 'database';

/** Address a database binds to: "localhost" becomes 127.0.0.1 (one address, as the drivers try it first). */
function bindHost(d) {
  return d.host === 'localhost' ? '127.0.0.1' : d.host;
}

function hostPort(host, port) {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function ferretdbSqliteDirUrl(d) {
  return pathToFileURL(`${d.ferretdb.sqliteDir}/`).href;
}

// synchronous(NORMAL): with FerretDB's write-ahead log, a commit survives a crash of FerretDB
// itself and only the last commits can be lost to a power cut, which is what MongoDB's default
// write concern (journal flushed every 100 ms) promises too. FULL syncs on every commit and
// halves the rate of single-document updates here (0.86 vs 0.43 ms per update in bulk writes).
function ferretdbSqliteUrl(d) {
  return `${ferretdbSqliteDirUrl(d)}?_pragma=synchronous(NORMAL)`;
}

// FerretDB's live heap is about 10 MB, so Go's default (a collection each time the heap grows by
// 100 %) collected about 130 times per 1,000-gateway rollout: 12 % of FerretDB's CPU in a profile.
// Collecting at 400 % growth cost about 30 MB more (peak RSS 86-108 MB against 69-77 MB in
// rollouts) and a third less FerretDB CPU, with the tracking fix (README). A GOGC set is kept.
const FERRETDB_GOGC = '400';

/** FerretDB's environment: the caller's, with FERRETDB_GOGC unless GOGC is set. */
function ferretdbEnv(env) {
  return env.GOGC ? env : { ...env, GOGC: FERRETDB_GOGC };
}

/** The engines, each with how to recognise its process (a string in its command line). */
function engines(d) {
  const ferretdb = { name: 'ferretdb', pidFile: d.ferretdb.pidFile, logFile: d.ferretdb.logFile };
  return {
    'ferretdb-sqlite': { ...ferretdb, backend: 'sqlite', marker: ferretdbSqliteDirUrl(d) },
    'ferretdb-postgresql': { ...ferretdb, backend: 'postgresql', marker: postgresqlUrl(d.ferretdb.postgresql) },
    mongod: { name: 'mongod', pidFile: d.mongod.pidFile, logFile: d.mongod.logFile, marker: d.mongod.dbPath },
  };
}

function ferretdbBackendArgs(d) {
  if (d.ferretdb.backend === 'postgresql') return ['--handler=postgresql', `--postgresql-url=${postgresqlUrl(d.ferretdb.postgresql)}`];
  return ['--handler=sqlite', `--sqlite-url=${ferretdbSqliteUrl(d)}`];
}

/** The engine that runs now (with its pid), else the one a start would use. */
function currentEngine(d) {
  const all = engines(d);
  for (const engine of Object.values(all)) {
    let pid = runningPid(engine.pidFile, engine.marker);
    if (!pid) {
      const adopted = listeningProcesses(d.port).find((p) => p.command.includes(engine.marker));
      if (adopted) {
        writePidFile(engine.pidFile, adopted.pid);
        pid = adopted.pid;
      }
    }
    if (pid) return { ...engine, pid };
  }
  return { ...(findMongod() ? all.mongod : all[`ferretdb-${d.ferretdb.backend}`]), pid: null };
}

/** Sends `ping` with the MongoDB driver; resolves { ok, error }. */
export async function pingDatabase(url, timeoutMs = 2000) {
  let MongoClient;
  try {
    ({ MongoClient } = await import('mongodb'));
  } catch {
    ({ MongoClient } = (await import('mongoose')).default.mongo);
  }
  const client = new MongoClient(url, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err.message };
  } finally {
    await client.close().catch(() => {});
  }
}

function externalStatus(d) {
  return { name: NAME, state: 'external', running: null, pid: null, port: d.port, detail: `MONGO_URL is not local; not managed` };
}

export async function startDatabase(cfg, { log = console.log } = {}) {
  const d = cfg.database;
  if (!d.managed) {
    log(`${NAME}: MONGO_URL points to another host; not starting a local database.`);
    return externalStatus(d);
  }
  const current = currentEngine(d);
  // FerretDB's cluster may have stopped on its own; FerretDB then waits for it.
  if (current.backend === 'postgresql') await startPostgresql(d.ferretdb.postgresql, { log });
  if (current.pid) {
    log(`${NAME}: already running (${current.name}${current.backend ? ` on ${current.backend}` : ''}, pid ${current.pid}, port ${d.port}).`);
    return { name: NAME, engine: current.name, state: 'running', running: true, pid: current.pid, port: d.port };
  }
  const host = bindHost(d);
  if (await canConnect(host, d.port, 500)) {
    throw new ServiceError(`${NAME}: cannot start: ${describePortOwner(d.port)}\nStop that process, or change MONGO_URL in .env.`);
  }

  let engine;
  let command;
  let args;
  let cwd;
  let version = '';
  if (current.name === 'mongod') {
    engine = engines(d).mongod;
    command = findMongod();
    mkdirSync(d.mongod.dbPath, { recursive: true });
    cwd = d.mongod.dir;
    args = ['--dbpath', d.mongod.dbPath, '--bind_ip', host, '--port', String(d.port)];
  } else {
    engine = current;
    const ferret = ensureFerretdb({ bin: d.ferretdb.bin, log });
    command = ferret.bin;
    version = ` ${ferret.version} on ${engine.backend}`;
    mkdirSync(d.ferretdb.sqliteDir, { recursive: true });
    cwd = d.ferretdb.dir;
    args = [
      ...ferretdbBackendArgs(d),
      `--listen-addr=${hostPort(host, d.port)}`,
      `--state-dir=${d.ferretdb.dir}`,
      '--telemetry=disable',
      '--log-level=warn',
      '--debug-addr=-', // no HTTP debug/metrics listener (its default port 8088 could clash)
    ];
  }

  const env = engine.name === 'ferretdb' ? ferretdbEnv(process.env) : process.env;
  const child = spawnDetached(command, args, { logFile: engine.logFile, pidFile: engine.pidFile, cwd, env });
  const what = `${NAME} (${engine.name})`;
  let ping = { ok: false };
  try {
    await waitFor(() => canConnect(host, d.port, 500), { what, timeoutMs: 60_000, child, logFile: engine.logFile });
    await waitFor(async () => (ping = await pingDatabase(d.url)).ok, { what: `${what} ping`, timeoutMs: 30_000, child, logFile: engine.logFile });
  } catch (err) {
    if (child.pid) await stopPid(child.pid, { timeoutMs: 5000 });
    removePidFile(engine.pidFile);
    throw new ServiceError(`${err.message}${ping.error ? `\nLast ping error: ${ping.error}` : ''}`);
  }
  log(`${NAME}: started ${engine.name}${version} (pid ${child.pid}, ${d.url.replace(/\/\/[^@/]*@/, '//')}); log ${engine.logFile}`);
  return { name: NAME, engine: engine.name, state: 'running', running: true, pid: child.pid, port: d.port };
}

export async function stopDatabase(cfg, { log = console.log } = {}) {
  const d = cfg.database;
  if (!d.managed) return externalStatus(d);
  const current = currentEngine(d);
  if (!current.pid) {
    removePidFile(d.ferretdb.pidFile);
    removePidFile(d.mongod.pidFile);
    await stopPostgresql(d.ferretdb.postgresql, { log });
    log(`${NAME}: not running.`);
    return { name: NAME, engine: current.name, state: 'stopped', running: false, pid: null, port: d.port };
  }
  const result = await stopPid(current.pid, { timeoutMs: 20_000 });
  removePidFile(current.pidFile);
  log(`${NAME}: ${current.name} ${result === 'killed' ? 'did not stop within 20 s; killed' : 'stopped'} (pid ${current.pid}).`);
  // After FerretDB, which holds connections to it; whatever FERRETDB_BACKEND says now.
  await stopPostgresql(d.ferretdb.postgresql, { log });
  return { name: NAME, engine: current.name, state: 'stopped', running: false, pid: null, port: d.port };
}

export async function databaseStatus(cfg) {
  const d = cfg.database;
  if (!d.managed) return externalStatus(d);
  const current = currentEngine(d);
  const host = bindHost(d);
  if (!current.pid) {
    const foreign = (await canConnect(host, d.port, 500)) ? describePortOwner(d.port) : undefined;
    return { name: NAME, engine: current.name, state: 'stopped', running: false, pid: null, port: d.port, detail: foreign };
  }
  const listening = await canConnect(host, d.port, 1000);
  return {
    name: NAME,
    engine: current.name,
    state: listening ? 'running' : 'not-listening',
    running: listening,
    pid: current.pid,
    port: d.port,
    detail: listening
      ? current.backend
        ? `${current.backend} backend`
        : current.name
      : `${current.name} pid ${current.pid} alive but port ${d.port} refuses connections`,
  };
}
