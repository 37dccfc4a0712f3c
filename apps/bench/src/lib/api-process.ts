import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join, resolve } from 'node:path';
import { sleep } from './waiting';

/**
 * The old-space bound the API is started with everywhere (npm start, Dockerfile, api:serve; README
 * "API heap bound"): below 2 GiB V8 lets the old space grow to at most ~1.4 times what survived the last
 * full collection instead of up to 4 times, which is what took the API from ~250 MB to 350-440 MB.
 */
export const API_HEAP_LIMIT = '--max-old-space-size=512';

export interface ApiProcessOptions {
  /** The built API entry (`dist/apps/api/apps/api/src/main.js`). */
  entry: string;
  /** Variables on top of the benchmark's own environment. */
  env: Record<string, string>;
  /** Its stdout and stderr go here. */
  logFile: string;
  /** When set, run under `node --cpu-prof` and write the profile into this folder. */
  cpuProfileDir?: string;
  startTimeoutMs?: number;
}

/** A free TCP port on the loopback interface (free when asked; nothing holds it afterwards). */
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

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** The built API as a child process on its own port, so that its CPU time and memory can be read from /proc. */
export class ApiProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;
  baseUrl = '';

  constructor(private readonly options: ApiProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const entry = resolve(this.options.entry);
    if (!existsSync(entry)) throw new Error(`${entry} does not exist: build the API first (npx nx run api:build)`);
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    const profileArgs = this.options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', this.options.cpuProfileDir] : [];
    const nodeArgs = [API_HEAP_LIMIT, ...profileArgs];
    const log = createWriteStream(this.options.logFile);
    const child = spawn(process.execPath, [...nodeArgs, entry], {
      env: { ...process.env, ...this.options.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.exited = new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    await this.waitHealthy(this.options.startTimeoutMs ?? 60_000);
  }

  /** SIGTERM (the API shuts down cleanly and writes its CPU profile), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || !this.exited || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const outcome = await Promise.race([this.exited.then(() => 'exited'), sleep(graceMs).then(() => 'timeout')]);
    if (outcome === 'timeout') {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  logTail(): string {
    return tail(this.options.logFile);
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      const child = this.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the API exited during start-up (code ${child?.exitCode}); log ${this.options.logFile}:\n${this.logTail()}`);
      }
      try {
        const response = await fetch(`${this.baseUrl}/api/health`, { signal: AbortSignal.timeout(2000) });
        if (response.ok) return;
        last = `${response.status} ${await response.text()}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await sleep(250);
    }
    await this.stop();
    throw new Error(`the API was not healthy within ${timeoutMs / 1000} s (last: ${last}); log ${this.options.logFile}:\n${this.logTail()}`);
  }
}

/** The pid `npm run services:start` recorded for a service, for reading its CPU time; undefined when not running. */
export function servicePid(dataDir: string, service: 'mosquitto' | 'ferretdb'): number | undefined {
  const file = join(dataDir, service, `${service}.pid`);
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The postmaster of the PostgreSQL cluster under FerretDB that `npm run services:start` runs (first line of postmaster.pid), if it runs. */
export function postgresqlPid(dataDir: string): number | undefined {
  try {
    const pid = Number(
      readFileSync(join(dataDir, 'postgresql', 'data', 'postmaster.pid'), 'utf8')
        .split('\n')[0]
        ?.trim(),
    );
    return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the database process runs, from its command line: the program (e.g. the FerretDB build
 * `ferretdb-v1.24.2-um-fixes-5`) and FerretDB's backend, so runs on different backends or builds can
 * be told apart; undefined when the process is not running.
 */
export function databaseEngine(pid: number | undefined): string | undefined {
  if (pid === undefined) return undefined;
  try {
    const [program = '', ...args] = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const handler = args.find((arg) => arg.startsWith('--handler='))?.slice('--handler='.length);
    return handler ? `${basename(program)} on ${handler}` : basename(program);
  } catch {
    return undefined;
  }
}
