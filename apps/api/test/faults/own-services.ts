import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { faultRunDir, freePort } from './built-api';

const run = promisify(execFile);
const SERVICES_CLI = resolve(__dirname, '../../../../tools/services/cli.mjs');

/**
 * A Mosquitto and a database of the fault suite's own (tools/services with another DATA_DIR and
 * free ports), so that killing them never disturbs the services other tests share.
 */
export class OwnServices {
  // Under the run directory, so that a run that ends abruptly still has them stopped (tools/testing/fault-run.mjs).
  readonly dataDir = mkdtempSync(join(faultRunDir(), 'services-'));
  private ports: { mqtt: number; tls: number; mongo: number } | undefined;

  /** The variables that point the services CLI and an API at these services. */
  env(databaseName = 'upgrade-manager'): Record<string, string> {
    if (!this.ports) throw new Error('start the services first');
    return {
      DATA_DIR: this.dataDir,
      MQTT_URL: `mqtt://127.0.0.1:${this.ports.mqtt}`,
      MQTT_TLS_PORT: String(this.ports.tls),
      MQTT_TLS_HOST: '127.0.0.1',
      MONGO_URL: `mongodb://127.0.0.1:${this.ports.mongo}/${databaseName}`,
    };
  }

  async start(): Promise<void> {
    this.ports ??= { mqtt: await freePort(), tls: await freePort(), mongo: await freePort() };
    await this.cli('start');
  }

  /** Stops the services and removes their files. */
  async stop(): Promise<void> {
    if (this.ports) await this.cli('stop').catch(() => undefined);
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** SIGKILL to the broker or the database, as a crash or power loss would. */
  kill(service: 'mosquitto' | 'database'): void {
    const pidFile = service === 'mosquitto' ? join(this.dataDir, 'mosquitto', 'mosquitto.pid') : join(this.dataDir, 'ferretdb', 'ferretdb.pid');
    if (!existsSync(pidFile)) throw new Error(`${pidFile} does not exist`);
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
  }

  private async cli(command: 'start' | 'stop'): Promise<void> {
    await run(process.execPath, [SERVICES_CLI, command], { env: { ...process.env, ...this.env() }, timeout: 120_000 });
  }
}
