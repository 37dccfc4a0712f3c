import { SingleBar } from 'cli-progress';

export interface ProgressBar {
  update(value: number, total: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

const SILENT: ProgressBar = { update: () => undefined, stop: () => undefined };

/**
 * A bar on `stream` (stderr: stdout stays for data). On a terminal it redraws in place; in a
 * pipeline log (no TTY) it prints a line every few seconds and the final state, so CI logs show it.
 */
export function progressBar(stream: NodeJS.WritableStream, format: string, { enabled = true } = {}): ProgressBar {
  if (!enabled) return SILENT;
  const bar = new SingleBar({ stream, format, noTTYOutput: true, notTTYSchedule: 2000, hideCursor: true, barsize: 30 });
  let started = false;
  return {
    update(value, total, payload = {}) {
      if (!started) {
        bar.start(total, value, payload);
        started = true;
        return;
      }
      bar.setTotal(total);
      bar.update(value, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
