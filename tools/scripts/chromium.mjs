// Finds the Chromium the browser tests drive (CHROMIUM_PATH, default Debian's /usr/bin/chromium) and
// installs Debian's `chromium` package with apt-get when it is missing and we are root, the way the
// local services install Mosquitto.
import { spawnSync } from 'node:child_process';
import { findExecutable, isExecutable } from '../services/install.mjs';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** Returns the Chromium path, installing Debian's package when possible; throws with instructions otherwise. */
export function ensureChromium({ env = process.env, log = console.log } = {}) {
  const chromium = env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
  if (isExecutable(chromium)) return chromium;
  const aptGet = findExecutable('apt-get', ['/usr/bin']);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && aptGet && chromium === DEFAULT_CHROMIUM_PATH) {
    log(`Chromium (for the browser tests) is not installed; installing Debian's chromium with apt-get...`);
    const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [['update'], ['install', '-y', 'chromium']]) {
      const result = spawnSync(aptGet, args, { stdio: 'inherit', env: aptEnv });
      if (result.status !== 0) throw new Error(`\`apt-get ${args.join(' ')}\` failed with exit code ${result.status}.`);
    }
    if (isExecutable(chromium)) return chromium;
    throw new Error(`apt-get installed chromium, but ${chromium} was not found.`);
  }
  throw new Error(
    [
      `Chromium is needed by the browser tests and was not found at ${chromium}. Install it, then run this again:`,
      '  Debian/Ubuntu:  sudo apt-get install -y chromium',
      '  elsewhere:      set CHROMIUM_PATH in .env to a Chromium or Chrome binary',
    ].join('\n'),
  );
}
