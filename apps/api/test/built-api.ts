import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from './test-api';

const root = join(__dirname, '../../..');
const run = promisify(execFile);

/** A private build of the API, so that builds of other test runs in dist/ never race with this one. */
export class ApiBuild {
  readonly dir = join(root, 'tmp', `api-build-${randomBytes(4).toString('hex')}`);

  get main(): string {
    return join(this.dir, 'apps/api/src/main.js');
  }

  async build(): Promise<void> {
    const tsconfig = 'apps/api/tsconfig.app.json';
    await run('npx', ['tsc', '-p', tsconfig, '--outDir', this.dir], { cwd: root });
    await run('npx', ['tsc-alias', '-p', tsconfig, '--outDir', this.dir], { cwd: root });
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The built API as a child process (a real, separate OS process) on its own port. */
export class ApiChild {
  private child: ChildProcess | undefined;
  output = '';

  constructor(
    private readonly main: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the process and waits until its health check answers 200. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [this.main], {
      cwd: root,
      env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`API exited (${child.exitCode}):\n${this.output}`);
        const response = await fetch(`${this.baseUrl}/api/health`);
        if (response.status !== 200) throw new Error(`health ${response.status}`);
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Stops the process with the given signal and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}
