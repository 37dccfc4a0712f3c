import { execFile } from 'node:child_process';
import type { Offer } from '@upgrade-manager/protocol-v2';

/** How a verified image gets installed; each step throws an Error whose message is the reason. */
export interface Installer {
  install(imagePath: string, offer: Offer): Promise<void>;
  healthCheck(offer: Offer): Promise<void>;
  rollback(offer: Offer): Promise<void>;
}

export interface CommandInstallerOptions {
  /** Installs the image: run with `sh -c`, the image path in $UM_IMAGE and the version in $UM_VERSION. */
  install: string;
  /** Exits 0 when the new software works (same variables). */
  healthCheck?: string;
  /** Restores the previous software after a failed install or health check. */
  rollback?: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const OUTPUT_TAIL = 400;

function run(command: string, env: Record<string, string>, timeoutMs: number, step: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', command], { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const code = error.killed ? `was stopped after ${timeoutMs} ms` : `exited with code ${String(error.code)}`;
      const tail = String(stderr).trim().slice(-OUTPUT_TAIL);
      reject(new Error(`${step} ${code}${tail ? `: ${tail}` : ''}`));
    });
  });
}

/** Runs shell commands for the install, the health check and the rollback: what a real device configures. */
export function commandInstaller(options: CommandInstallerOptions): Installer {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let image = '';
  const env = (offer: Offer) => ({ UM_IMAGE: image, UM_VERSION: offer.version, UM_SHA256: offer.sha256 });
  return {
    async install(imagePath, offer) {
      image = imagePath;
      await run(options.install, env(offer), timeoutMs, 'install command');
    },
    async healthCheck(offer) {
      if (options.healthCheck) await run(options.healthCheck, env(offer), timeoutMs, 'health check');
    },
    async rollback(offer) {
      if (options.rollback) await run(options.rollback, env(offer), timeoutMs, 'rollback');
    },
  };
}
