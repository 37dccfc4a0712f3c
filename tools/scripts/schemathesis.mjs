// Schemathesis (the API fuzzing of the fault suite) in a virtual environment of its own under
// DATA_DIR, installed with pip on first use. Debian's Python is "externally managed" (PEP 668):
// pip may not install into it, a venv is the way; Debian's venv module is the `python3-venv`
// package, installed with apt-get when it is missing and we are root, as chromium.mjs does.
// `node tools/scripts/schemathesis.mjs` prints the path of the `st` command (progress on stderr).
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEnv, ROOT } from '../env.mjs';
import { findExecutable, isExecutable } from '../services/install.mjs';

export const SCHEMATHESIS_REQUIREMENT = 'schemathesis>=4,<5';
const MAJOR = 4;

const quiet = (command, args) => spawnSync(command, args, { encoding: 'utf8' });

function runOrThrow(command, args, log) {
  log(`$ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) throw new Error(`\`${[command, ...args].join(' ')}\` failed with exit code ${result.status}.`);
}

function hasWantedVersion(st) {
  if (!isExecutable(st)) return false;
  const version = /version (\d+)\./.exec(quiet(st, ['--version']).stdout ?? '');
  return version !== null && Number(version[1]) === MAJOR;
}

function aptInstall(packages, log) {
  const aptGet = findExecutable('apt-get', ['/usr/bin']);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!aptGet || !isRoot) return false;
  log(`installing Debian's ${packages.join(' ')} with apt-get...`);
  runOrThrow(aptGet, ['update'], log);
  runOrThrow(aptGet, ['install', '-y', ...packages], log);
  return true;
}

/** The path of a schemathesis 4 `st`, installed into ${DATA_DIR}/schemathesis when missing. */
export function ensureSchemathesis({ env = process.env, log = (line) => console.error(`[schemathesis] ${line}`) } = {}) {
  const venv = resolve(ROOT, env.DATA_DIR || '.data', 'schemathesis');
  const st = join(venv, 'bin', 'st');
  if (hasWantedVersion(st)) return st;

  let python = findExecutable('python3', ['/usr/bin']);
  if (!python && aptInstall(['python3', 'python3-venv'], log)) python = findExecutable('python3', ['/usr/bin']);
  if (!python) throw new Error('Python 3 is needed for the API fuzzing (schemathesis): sudo apt-get install -y python3 python3-venv');

  if (quiet(python, ['-m', 'venv', venv]).status !== 0) {
    // Debian's python3 without python3-venv cannot create a venv with pip in it.
    if (!aptInstall(['python3-venv'], log)) throw new Error(`\`${python} -m venv\` failed: sudo apt-get install -y python3-venv`);
    runOrThrow(python, ['-m', 'venv', '--clear', venv], log);
  }
  runOrThrow(join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', SCHEMATHESIS_REQUIREMENT], log);
  if (!hasWantedVersion(st)) throw new Error(`pip installed ${SCHEMATHESIS_REQUIREMENT}, but ${st} does not answer with version ${MAJOR}.`);
  return st;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    loadEnv();
    console.log(ensureSchemathesis());
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
