// A lock directory (atomic mkdir) so that two `services:start`/`stop` runs on the same DATA_DIR do
// not race each other. A lock left behind by a dead process is taken over.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from './process-control.mjs';

export async function withLock(lockDir, fn, { timeoutMs = 20 * 60_000, log = console.log } = {}) {
  mkdirSync(dirname(lockDir), { recursive: true });
  const ownerFile = join(lockDir, 'owner');
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(ownerFile, `${process.pid}\n`);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let owner = null;
      try {
        owner = Number.parseInt(readFileSync(ownerFile, 'utf8'), 10);
      } catch {
        // owner file not written yet, or lock being removed
      }
      if ((owner && !isAlive(owner)) || (!owner && lockAgeMs(lockDir) > 10_000)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lockDir} (held by pid ${owner ?? '?'}).`);
      if (!announced && owner) {
        log(`Another services command (pid ${owner}) is running; waiting for it to finish...`);
        announced = true;
      }
      await sleep(300);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function lockAgeMs(lockDir) {
  try {
    return Date.now() - statSync(lockDir).mtimeMs;
  } catch {
    return 0;
  }
}
