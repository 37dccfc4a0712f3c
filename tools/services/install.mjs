// Finds the programs the local services need and installs the missing ones where that can be done
// unattended: Mosquitto with apt-get (as root), FerretDB built from source with Go.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ServiceError } from './config.mjs';
import { applyFerretdbSourceFixes, SQLITE_DRIVER_DIR } from './ferretdb-source-fixes.mjs';

export const FERRETDB_VERSION = 'v1.24.2';
// Binaries built with the fixes of ferretdb-source-fixes.mjs, so an unfixed FerretDB is not taken for
// one. The number counts the sets of fixes: raise it whenever FIXES changes, so the new set is built.
const FIXED_BINARY_NAME = `ferretdb-${FERRETDB_VERSION}-um-fixes-15`;
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

/** Go's environment for building FerretDB from its module source. */
function goModuleEnv() {
  return { ...process.env, GO111MODULE: 'on' };
}

/** True when `file` is an executable regular file. */
export function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Absolute path of `name` found on PATH or in `extraDirs`, or null. */
export function findExecutable(name, extraDirs = []) {
  const dirs = [...(process.env.PATH || '').split(delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const file = join(dir, name);
    if (isExecutable(file)) return file;
  }
  return null;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new ServiceError(`\`${command} ${args.join(' ')}\` failed with exit code ${result.status}.`);
}

// ---------------------------------------------------------------------------------------------
// Mosquitto

const SBIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/opt/homebrew/sbin', '/usr/local/opt/mosquitto/sbin', '/snap/bin'];
const BIN_DIRS = ['/usr/bin', '/usr/local/bin', '/opt/homebrew/bin', '/usr/local/opt/mosquitto/bin', '/snap/bin'];

function findMosquitto() {
  const mosquitto = findExecutable('mosquitto', SBIN_DIRS);
  const mosquittoPasswd = findExecutable('mosquitto_passwd', BIN_DIRS);
  return mosquitto && mosquittoPasswd ? { mosquitto, mosquittoPasswd } : null;
}

/**
 * Stops and disables the broker service that Debian's package starts on its own (it would hold
 * port 1883). Best effort; returns true when something was stopped.
 */
export function disableSystemMosquitto({ log = console.log } = {}) {
  if (!isRoot()) return false;
  const systemctl = findExecutable('systemctl', BIN_DIRS);
  if (systemctl && existsSync('/run/systemd/system')) {
    const r = spawnSync(systemctl, ['disable', '--now', 'mosquitto.service'], { stdio: 'ignore' });
    if (r.status === 0) log("Stopped and disabled the system's own mosquitto service (systemd).");
    return r.status === 0;
  }
  if (existsSync('/etc/init.d/mosquitto')) {
    const r = spawnSync('/etc/init.d/mosquitto', ['stop'], { stdio: 'ignore' });
    const updateRcD = findExecutable('update-rc.d', SBIN_DIRS);
    if (updateRcD) spawnSync(updateRcD, ['mosquitto', 'disable'], { stdio: 'ignore' });
    if (r.status === 0) log("Stopped the system's own mosquitto service (/etc/init.d/mosquitto).");
    return r.status === 0;
  }
  return false;
}

/** Returns { mosquitto, mosquittoPasswd } paths, installing the Debian packages when possible. */
export function ensureMosquitto({ log = console.log } = {}) {
  const found = findMosquitto();
  if (found) return found;
  const aptGet = findExecutable('apt-get', BIN_DIRS);
  if (isRoot() && aptGet) {
    log('Mosquitto is not installed; installing it with apt-get (mosquitto, mosquitto-clients)...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run(aptGet, ['update'], { env });
    run(aptGet, ['install', '-y', 'mosquitto', 'mosquitto-clients'], { env });
    disableSystemMosquitto({ log });
    const installed = findMosquitto();
    if (installed) return installed;
    throw new ServiceError('apt-get installed mosquitto, but the mosquitto and mosquitto_passwd programs were not found.');
  }
  throw new ServiceError(
    [
      'Mosquitto (MQTT broker, 2.0 or newer) is not installed. Install it, then run this again:',
      '  Debian/Ubuntu:  sudo apt-get install -y mosquitto mosquitto-clients',
      '                  sudo systemctl disable --now mosquitto   # this project runs its own broker',
      '  Fedora:         sudo dnf install -y mosquitto',
      '  macOS:          brew install mosquitto',
      'The programs `mosquitto` and `mosquitto_passwd` must be on PATH (or in /usr/sbin, /usr/bin).',
    ].join('\n'),
  );
}

const DYNSEC_PLUGIN = 'mosquitto_dynamic_security.so';

/** Directories where Mosquitto packages put their plugins (Debian multiarch, Fedora, Homebrew, source builds). */
function pluginDirs() {
  const dirs = ['/usr/lib', '/usr/lib64', '/usr/local/lib', '/opt/homebrew/lib', '/usr/local/opt/mosquitto/lib'];
  try {
    for (const entry of readdirSync('/usr/lib', { withFileTypes: true })) {
      if (entry.isDirectory() && /-linux-gnu/.test(entry.name)) dirs.push(join('/usr/lib', entry.name));
    }
  } catch {
    // not Linux
  }
  return dirs;
}

/**
 * Path of Mosquitto's dynamic-security plugin: `configured` (MOSQUITTO_DYNSEC_PLUGIN) when set,
 * else the first one found. Throws a ServiceError that says how to fix it when there is none.
 */
export function findDynsecPlugin(configured) {
  if (configured) {
    if (existsSync(configured)) return configured;
    throw new ServiceError(`MOSQUITTO_DYNSEC_PLUGIN=${configured} does not exist.`);
  }
  const found = pluginDirs()
    .map((dir) => join(dir, DYNSEC_PLUGIN))
    .find((file) => existsSync(file));
  if (found) return found;
  throw new ServiceError(
    `Mosquitto's dynamic-security plugin (${DYNSEC_PLUGIN}, part of Mosquitto 2.0 and newer) was not found in ` +
      `${pluginDirs().join(', ')}.\nThe per-gateway broker accounts need it: install Mosquitto 2, or set MOSQUITTO_DYNSEC_PLUGIN in .env to its path.`,
  );
}

// ---------------------------------------------------------------------------------------------
// FerretDB

/** The version a FerretDB binary reports (e.g. "v1.24.2"), or null when it does not run. */
export function ferretdbVersion(bin) {
  try {
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
    return /^version:\s*(\S+)/m.exec(out)?.[1] ?? null;
  } catch {
    return null;
  }
}

function findGo() {
  return findExecutable('go', ['/usr/local/go/bin', join(homedir(), 'go', 'bin'), '/usr/lib/go/bin', '/snap/bin']);
}

function goBinDir(go) {
  const gopath = execFileSync(go, ['env', 'GOPATH'], { encoding: 'utf8' }).trim().split(delimiter)[0];
  return join(gopath || join(homedir(), 'go'), 'bin');
}

/** `name` in the Go binary folders: $(go env GOPATH)/bin, ~/go/bin, /root/go/bin. */
function goBinCandidates(go, name) {
  const list = [];
  if (go) {
    try {
      list.push(join(goBinDir(go), name));
    } catch {
      // go env failed; fall through to the usual places
    }
  }
  list.push(join(homedir(), 'go', 'bin', name), join('/root/go/bin', name));
  return list;
}

/** A FerretDB built by this project (with the fixes). */
function fixedFerretdbCandidates(go) {
  return [...new Set(goBinCandidates(go, FIXED_BINARY_NAME))].filter(isExecutable);
}

/** An unfixed FerretDB 1.x somebody installed: used only when this project cannot build its own. */
function otherFerretdbCandidates() {
  const list = goBinCandidates(null, 'ferretdb');
  const onPath = findExecutable('ferretdb');
  if (onPath) list.push(onPath);
  return [...new Set(list)].filter(isExecutable);
}

function makeWritable(dir) {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(p);
    else chmodSync(p, 0o644);
  }
}

/**
 * Builds FerretDB from the module source into $(go env GOPATH)/bin/ferretdb-v1.24.2-um-fixes-15.
 *
 * A plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` produces a binary that
 * panics at start ("Invalid build/version/version.txt file content"): the module archive lacks the
 * generated build/version/version.txt. So the module source is copied to a temporary directory,
 * with the SQLite driver's module source beside it (copySqliteDriver), version.txt is written, the
 * fixes of ferretdb-source-fixes.mjs are applied, the tests of the fixed packages run, and the
 * binary is built there, named so that it is not confused with an unfixed FerretDB.
 */
function buildFerretdb(go, { log }) {
  const binDir = goBinDir(go);
  const target = join(binDir, FIXED_BINARY_NAME);
  log(`Building FerretDB ${FERRETDB_VERSION} from source with Go into ${target}.`);
  log('This takes a few minutes the first time (downloading modules and compiling)...');
  const work = mkdtempSync(join(tmpdir(), 'ferretdb-build-'));
  try {
    const download = execFileSync(go, ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], {
      cwd: work,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env: goModuleEnv(),
    });
    const moduleDir = JSON.parse(download).Dir;
    if (!moduleDir || !existsSync(moduleDir)) throw new ServiceError(`go mod download did not return the FerretDB source:\n${download}`);
    const src = join(work, 'src');
    cpSync(moduleDir, src, { recursive: true });
    makeWritable(src);
    writeFileSync(join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    copySqliteDriver(go, src);
    applyFerretdbSourceFixes(src);
    testFixedPackages(go, src, log);
    mkdirSync(binDir, { recursive: true });
    const tmpTarget = join(binDir, `.ferretdb.build-${process.pid}`);
    run(go, ['build', '-trimpath', '-buildvcs=false', '-o', tmpTarget, './cmd/ferretdb'], {
      cwd: src,
      env: goModuleEnv(),
    });
    const version = ferretdbVersion(tmpTarget);
    if (!version) {
      rmSync(tmpTarget, { force: true });
      throw new ServiceError('The freshly built FerretDB binary does not run (`ferretdb --version` failed).');
    }
    renameSync(tmpTarget, target); // atomic: a concurrent build elsewhere never sees half a file
    log(`Built FerretDB ${version}: ${target}`);
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Copies the source of the SQLite driver module FerretDB requires (modernc.org/sqlite, the version of
 * its go.mod) into the FerretDB source as SQLITE_DRIVER_DIR, where the fixes change it; without its
 * tests, test data and examples (the build tests only what the fixes add).
 */
function copySqliteDriver(go, src) {
  const download = execFileSync(go, ['mod', 'download', '-json', 'modernc.org/sqlite'], {
    cwd: src,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: goModuleEnv(),
  });
  const driverDir = JSON.parse(download).Dir;
  if (!driverDir || !existsSync(driverDir)) throw new ServiceError(`go mod download did not return the SQLite driver's source:\n${download}`);
  const target = join(src, SQLITE_DRIVER_DIR);
  cpSync(driverDir, target, {
    recursive: true,
    filter: (from) => !/_test\.go$/.test(from) && !/[/\\](testdata|examples)$/.test(from),
  });
  makeWritable(target);
}

/**
 * Runs the tests of the fixed packages in the fixed source: FerretDB's document encoding, its own
 * tests and the fixes' (tools/services/ferretdb-fixes/*_test.go compare the fast encoder and
 * decoder with FerretDB's on random documents), the fixes' tests of the update and insert commands
 * (TestUpdateStatements*, TestInsertTogether*, on SQLite in a temporary directory) and the SQLite
 * driver's kept statements, memcmp, JSON parser and `->`. A binary whose stored documents or replies
 * could differ is never built.
 * FerretDB's test helpers look for the repository root by its `.git` directory, which the module
 * source lacks.
 */
function testFixedPackages(go, src, log) {
  log('Testing the fixed packages (go test ./internal/handler/sjson/ ./internal/handler/ modernc.org/sqlite)...');
  mkdirSync(join(src, '.git'), { recursive: true });
  run(go, ['test', '-count=1', './internal/handler/sjson/'], { cwd: src, env: goModuleEnv() });
  run(go, ['test', '-count=1', '-run', '^(TestUpdateStatements|TestInsertTogether)', './internal/handler/'], { cwd: src, env: goModuleEnv() });
  run(go, ['test', '-count=1', '-run', 'UMStmtCache|UMMemcmp|UMJSONParse|UMJSONExtract', 'modernc.org/sqlite'], { cwd: src, env: goModuleEnv() });
}

/** Returns { bin, version } of a working FerretDB 1.x, building it with Go when needed. */
export function ensureFerretdb({ bin: explicitBin = '', log = console.log } = {}) {
  if (explicitBin) {
    const version = ferretdbVersion(explicitBin);
    if (!version) throw new ServiceError(`FERRETDB_BIN=${explicitBin} does not run (\`${explicitBin} --version\` failed).`);
    if (!version.startsWith('v1.'))
      throw new ServiceError(`FERRETDB_BIN=${explicitBin} is FerretDB ${version}; the SQLite backend needs FerretDB 1.x (${FERRETDB_VERSION}).`);
    return { bin: explicitBin, version };
  }
  const go = findGo();
  const broken = [];
  const usable = (candidates) => {
    for (const candidate of candidates) {
      const version = ferretdbVersion(candidate);
      if (version && version.startsWith('v1.')) return { bin: candidate, version };
      broken.push(`${candidate} (${version ? `version ${version}` : 'does not run'})`);
    }
    return null;
  };
  const fixed = usable(fixedFerretdbCandidates(go));
  if (fixed) return fixed;
  const other = go ? null : usable(otherFerretdbCandidates());
  if (broken.length) log(`Ignoring unusable FerretDB binaries: ${broken.join(', ')}.`);
  if (other) {
    log(
      `Using ${other.bin} (FerretDB ${other.version}) as found: without Go it cannot be rebuilt with the _id index fix, so updates are slow in large collections.`,
    );
    return other;
  }
  if (!go) {
    throw new ServiceError(
      [
        'No MongoDB-compatible database found: `mongod` is not on PATH and FerretDB is not installed,',
        'and Go is not available to build FerretDB. Do one of:',
        '  - install Go (https://go.dev/dl/) and run this again: it builds FerretDB ' + FERRETDB_VERSION + ' itself;',
        '  - install MongoDB so that `mongod` is on PATH;',
        '  - set FERRETDB_BIN to a FerretDB 1.x binary (e.g. from https://github.com/FerretDB/FerretDB/releases/tag/' + FERRETDB_VERSION + ').',
      ].join('\n'),
    );
  }
  const bin = buildFerretdb(go, { log });
  return { bin, version: ferretdbVersion(bin) };
}

/** Path of `mongod` when MongoDB itself is installed, else null. */
export function findMongod() {
  return findExecutable('mongod', ['/usr/bin', '/usr/local/bin', '/opt/homebrew/bin']);
}
