// What a fault-suite run started, so that it can be cleaned up however the run ends (a failed
// assertion, a time-out, Ctrl-C): the suite's tests put each of their service data directories and
// each API process's pid file under FAULTS_RUN_DIR; `sweepFaultRun` stops those services through
// their own pid files, ends those API processes and removes the directory. Nothing else is touched.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopServices } from '../services/index.mjs';

export const FAULTS_RUN_DIR = 'FAULTS_RUN_DIR';

/** A fresh run directory, also put into process.env for the tests (and the processes) started after. */
export function beginFaultRun(env = process.env) {
  env[FAULTS_RUN_DIR] ||= mkdtempSync(join(tmpdir(), 'um-faults-run-'));
  return env[FAULTS_RUN_DIR];
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops what the run left running (services by data directory, API processes by pid file) and removes the run directory. */
export async function sweepFaultRun(runDir, { log = (line) => console.log(`[faults] ${line}`) } = {}) {
  if (!runDir) return;
  let entries = [];
  try {
    entries = readdirSync(runDir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(runDir, entry.name);
    if (entry.isFile() && entry.name.endsWith('.api.pid')) {
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        log(`ending API process ${pid} left by the fault suite`);
        process.kill(pid, 'SIGKILL');
      }
    } else if (entry.isDirectory() && entry.name.startsWith('services-')) {
      // Services a test stopped itself answer "not running": only what was left is reported.
      const report = (line) => /not running/.test(line) || log(`left by the fault suite: ${line}`);
      await stopServices({ env: { ...process.env, DATA_DIR: path }, log: report }).catch((error) =>
        log(`could not stop the services of ${path}: ${error instanceof Error ? error.message : error}`),
      );
    }
  }
  rmSync(runDir, { recursive: true, force: true });
}
