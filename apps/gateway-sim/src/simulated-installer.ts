import type { Installer } from '@upgrade-manager/gateway-client';
import { copyFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const INSTALLED_IMAGE = 'installed.bin';
const PREVIOUS_IMAGE = 'previous.bin';

/**
 * What a simulated gateway "installs": the verified image becomes `<stateDir>/installed.bin`
 * (the previous one kept as `previous.bin` until the health check passes), so tests can compare
 * it byte for byte. The health check always passes.
 */
export function simulatedInstaller(stateDir: string): Installer {
  const installed = join(stateDir, INSTALLED_IMAGE);
  const previous = join(stateDir, PREVIOUS_IMAGE);
  return {
    async install(imagePath) {
      await rm(previous, { force: true });
      await rename(installed, previous).catch(() => undefined);
      await copyFile(imagePath, installed);
    },
    async healthCheck() {
      await rm(previous, { force: true });
    },
    async rollback() {
      await rename(previous, installed).catch(() => undefined);
    },
  };
}
