import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchEnv } from './bench-env';
import type { RawCloudReply, RawCloudRequest } from './raw-cloud.protocol';
import { sleep, withTimeout } from './waiting';

type Arrival = { reply: RawCloudReply; at: number };
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * The raw-broker baseline's cloud side (src/raw-cloud.ts) as a child process: a plain MQTT client
 * with the API's account, in its own process as the API is. Replies are timed on arrival here.
 */
export class RawCloudProcess {
  private readonly arrivals: Arrival[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  /** The last count the child reported while counting. */
  progress = 0;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: RawCloudReply) => {
      if (reply.type === 'progress') this.progress = reply.count;
      else if (reply.type === 'error') this.failure = new Error(`raw cloud: ${reply.message}`);
      else this.arrivals.push({ reply, at: performance.now() });
      this.wake?.();
    });
    child.once('exit', (code) => {
      this.failure ??= new Error(`raw cloud process exited (code ${code})`);
      this.wake?.();
    });
  }

  /** Forks the child and connects it to the broker as `clientId`, counting only gateways whose id starts with `gatewayPrefix`. */
  static async start(env: BenchEnv, clientId: string, gatewayPrefix: string, entry = join(__dirname, '..', 'raw-cloud.js')): Promise<RawCloudProcess> {
    const cloud = new RawCloudProcess(fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    cloud.send({ type: 'connect', url: env.mqttUrl, username: env.cloudUsername, password: env.cloudPassword, clientId, gatewayPrefix });
    await cloud.next('ready', CONNECT_TIMEOUT_MS, 'raw cloud: connect');
    return cloud;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(request: RawCloudRequest): void {
    this.child.send(request);
  }

  /** performance.now() at which the next reply of `type` arrived. */
  next(type: 'ready' | 'done', timeoutMs: number, what: string, progress?: () => string): Promise<number> {
    return withTimeout(this.take(type), timeoutMs, what, progress);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || !this.child.connected) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.send({ type: 'close' });
    const outcome = await Promise.race([exited.then(() => 'exited'), sleep(5_000).then(() => 'timeout')]);
    if (outcome === 'timeout') this.child.kill('SIGKILL');
  }

  private async take(type: 'ready' | 'done'): Promise<number> {
    for (;;) {
      const index = this.arrivals.findIndex((arrival) => arrival.reply.type === type);
      if (index >= 0) return (this.arrivals.splice(index, 1)[0] as Arrival).at;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
