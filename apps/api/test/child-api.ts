import mongoose from 'mongoose';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { forgetMqttSession } from './test-api';

const root = join(__dirname, '../../..');
const run = promisify(execFile);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The built API as a child process (development mode, its own database, port and MQTT session),
 * for tests that kill it with SIGKILL and start it again. `new ChildApi(first)` is one more API
 * process of the same deployment: `first`'s build, database and MQTT client id, its own port and
 * instance id (build `first` before it).
 */
export class ChildApi {
  readonly suffix: string;
  // A private build, so that builds of other test runs in dist/ never race with this one.
  private readonly buildDir: string;
  readonly mongoUrl: URL;
  private readonly mqttClientId: string;
  readonly instanceId: string;
  private main = '';
  private port = 0;
  private child: ChildProcess | undefined;
  private output = '';

  constructor(private readonly sibling?: ChildApi) {
    this.suffix = sibling?.suffix ?? randomBytes(4).toString('hex');
    this.buildDir = join(root, 'tmp', `api-child-${this.suffix}`);
    this.mongoUrl = new URL(process.env['MONGO_URL'] ?? 'mongodb://127.0.0.1:27017/upgrade-manager');
    this.mongoUrl.pathname = `/um-test-child-${this.suffix}`;
    this.mqttClientId = `um-test-child-api-${this.suffix}`;
    this.instanceId = `child-${randomBytes(3).toString('hex')}`;
  }

  /** The client id of this process's persistent MQTT session (its subscriber: gateway messages and the cluster bus). */
  get sessionClientId(): string {
    return `${this.mqttClientId}-${this.instanceId}`;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async build(): Promise<void> {
    if (this.sibling) {
      this.main = this.sibling.main;
      this.port = await freePort();
      return;
    }
    const tsconfig = 'apps/api/tsconfig.app.json';
    await run('npx', ['tsc', '-p', tsconfig, '--outDir', this.buildDir], { cwd: root });
    await run('npx', ['tsc-alias', '-p', tsconfig, '--outDir', this.buildDir], { cwd: root });
    this.main = join(this.buildDir, 'apps/api/src/main.js');
    this.port = await freePort();
  }

  async start(env: Record<string, string> = {}): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce(env);
      } catch (error) {
        // freePort releases the port before the child binds it: another test run may take it in between.
        if (attempt === 3 || !this.output.includes('EADDRINUSE')) throw error;
        this.port = await freePort();
        this.output = '';
      }
    }
  }

  private async startOnce(env: Record<string, string>): Promise<void> {
    const child = spawn(process.execPath, [this.main], {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        AUTH_MODE: 'none',
        MONGO_URL: this.mongoUrl.toString(),
        MQTT_CLIENT_ID: this.mqttClientId,
        API_INSTANCE_ID: this.instanceId,
        WEB_DIST_DIR: `/nonexistent-${this.suffix}`,
        RESOURCES_DIR: join(this.buildDir, 'resources'),
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`API exited (${child.exitCode}):\n${this.output}`);
      const problem = await this.healthProblem();
      if (problem === null) return;
      if (Date.now() > deadline) throw new Error(problem);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  // Null once this child answers healthy: a process of another test run could be listening on the port.
  private async healthProblem(): Promise<string | null> {
    try {
      const response = await fetch(`${this.baseUrl}/api/health`);
      if (response.status !== 200) return `health answered ${response.status}`;
      const answeredBy = response.headers.get('x-api-instance');
      return answeredBy === this.instanceId ? null : `port ${this.port} answered by ${answeredBy ?? 'an unnamed process'}, not ${this.instanceId}`;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  async kill(): Promise<void> {
    const running = this.child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything the process wrote to stdout and stderr. */
  get log(): string {
    return this.output;
  }

  /** Kills the API, drops its persistent session on the broker, its database and its build (a sibling: only its session). */
  async dispose(): Promise<void> {
    await this.kill();
    await forgetMqttSession(this.sessionClientId).catch(() => undefined);
    if (this.sibling) return;
    const connection = await mongoose.createConnection(this.mongoUrl.toString()).asPromise();
    await connection.dropDatabase();
    await connection.close();
    await rm(this.buildDir, { recursive: true, force: true });
  }
}
