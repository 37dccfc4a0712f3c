import { performance } from 'node:perf_hooks';

export class BenchTimeoutError extends Error {
  override readonly name = 'BenchTimeoutError';
}

/** Counts events up to `target`; `done` resolves with the performance.now() of the last one. */
export class Countdown {
  private count = 0;
  private resolveDone!: (at: number) => void;
  readonly done: Promise<number>;

  constructor(readonly target: number) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    if (target <= 0) this.resolveDone(performance.now());
  }

  get value(): number {
    return this.count;
  }

  tick(): void {
    this.count++;
    if (this.count === this.target) this.resolveDone(performance.now());
  }
}

/** `promise`, or a BenchTimeoutError naming `what` (with `progress()` when given) after `timeoutMs`. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string, progress?: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const detail = progress ? ` (${progress()})` : '';
      reject(new BenchTimeoutError(`${what}: not done within ${Math.round(timeoutMs / 1000)} s${detail}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface PollOptions {
  timeoutMs: number;
  /** Shortest pause between checks. */
  intervalMs: number;
  /** The pause is at least this many times the last check's duration, so slow checks load what they check less. */
  backoffFactor?: number;
  what: string;
  progress?: () => string;
  /** Give up early when `progressValue` has not changed for this long. */
  stallMs?: number;
  progressValue?: () => number;
}

/**
 * Calls `check` until it returns true; resolves with the performance.now() of the check that
 * passed. The moment is known to within one pause plus one check.
 */
export async function pollUntil(check: () => Promise<boolean>, options: PollOptions): Promise<number> {
  const deadline = performance.now() + options.timeoutMs;
  let lastValue = options.progressValue?.();
  let lastChange = performance.now();
  for (;;) {
    const started = performance.now();
    if (await check()) return performance.now();
    const now = performance.now();
    const detail = options.progress ? ` (${options.progress()})` : '';
    if (now > deadline) throw new BenchTimeoutError(`${options.what}: not done within ${Math.round(options.timeoutMs / 1000)} s${detail}`);
    const value = options.progressValue?.();
    if (value !== lastValue) {
      lastValue = value;
      lastChange = now;
    } else if (options.stallMs !== undefined && now - lastChange > options.stallMs) {
      throw new BenchTimeoutError(`${options.what}: no progress for ${Math.round(options.stallMs / 1000)} s${detail}`);
    }
    await sleep(Math.max(options.intervalMs, (now - started) * (options.backoffFactor ?? 0)));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
