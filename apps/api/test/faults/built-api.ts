import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BUILT_API_ENTRY = resolve(__dirname, '../../../../dist/apps/api/apps/api/src/main.js');

/**
 * Where this run of the suite records what it starts (FAULTS_RUN_DIR, set by the suite's global
 * setup or by npm test), so that tools/testing/fault-run.mjs stops it however the run ends.
 */
export function faultRunDir(): string {
  const runDir = process.env['FAULTS_RUN_DIR'] || join(tmpdir(), `um-faults-run-${process.pid}`);
  mkdirSync(runDir, { recursive: true });
  return runDir;
}

/** A free TCP port on loopback (free when asked). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolveSleep) => setTimeout(resolveSleep, ms));

/** The built API as a child process (nx run api:build first), so that it can be killed and its memory read from /proc. */
export class BuiltApi {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  baseUrl = '';

  constructor(
    private readonly env: Record<string, string>,
    private readonly logFile: string,
  ) {}

  get pid(): number {
    if (!this.child?.pid) throw new Error('the API is not running');
    return this.child.pid;
  }

  async start(port?: number): Promise<void> {
    if (!existsSync(BUILT_API_ENTRY)) throw new Error(`${BUILT_API_ENTRY} does not exist: npx nx run api:build`);
    const listenPort = port ?? (await freePort());
    this.baseUrl = `http://127.0.0.1:${listenPort}`;
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [BUILT_API_ENTRY], {
      env: { ...process.env, ...this.env, PORT: String(listenPort), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    const pidFile = join(faultRunDir(), `${child.pid}.api.pid`);
    writeFileSync(pidFile, String(child.pid));
    this.exited = new Promise((resolveExit) =>
      child.once('exit', () => {
        rmSync(pidFile, { force: true });
        resolveExit();
      }),
    );
    const deadline = Date.now() + 120_000; // a loaded machine starts slowly
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the API exited (${child.exitCode}):\n${this.logTail()}`);
      try {
        if ((await fetch(`${this.baseUrl}/api/health`)).status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`the API did not become healthy:\n${this.logTail()}`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    const outcome = await Promise.race([this.exited?.then(() => 'exited'), sleep(15_000).then(() => 'timeout')]);
    if (outcome === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** Resident memory now and at its peak (VmRSS, VmHWM), in bytes. */
  memory(): { rss: number; peak: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kib('VmRSS'), peak: kib('VmHWM') };
  }

  /** Starts the peak (VmHWM) afresh from the current RSS (Linux: 5 > /proc/<pid>/clear_refs); false when not allowed. */
  resetPeak(): boolean {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  }

  logTail(lines = 40): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}
