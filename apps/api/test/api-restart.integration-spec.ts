import type { DeploymentCreatedDto, DeploymentDetailDto, GatewayDto } from '@upgrade-manager/dto';
import { ToGatewayMessageType } from '@upgrade-manager/frame-codec';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import mongoose from 'mongoose';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { api, connectGateway, uniqueId, uniqueMajor, uploadVersion } from './protocol-helpers';
import { eventually, forgetMqttSession } from './test-api';

const root = join(__dirname, '../../..');
// A private build, so that builds of other test runs in dist/ never race with this one.
const buildDir = join(root, 'tmp', `api-restart-${randomBytes(4).toString('hex')}`);
const run = promisify(execFile);

async function buildApi(): Promise<string> {
  const tsconfig = 'apps/api/tsconfig.app.json';
  await run('npx', ['tsc', '-p', tsconfig, '--outDir', buildDir], { cwd: root });
  await run('npx', ['tsc-alias', '-p', tsconfig, '--outDir', buildDir], { cwd: root });
  return join(buildDir, 'apps/api/src/main.js');
}

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
 * The API killed with SIGKILL in the middle of a deployment: the Status the gateway sends while
 * it is down waits in the API's persistent MQTT session and confirms the upgrade after the restart.
 */
describe('API restart during a deployment (built API as a child process)', () => {
  const suffix = randomBytes(4).toString('hex');
  const mongoUrl = new URL(process.env['MONGO_URL'] ?? 'mongodb://127.0.0.1:27017/upgrade-manager');
  mongoUrl.pathname = `/um-test-restart-${suffix}`;
  const mqttClientId = `um-test-restart-api-${suffix}`;
  const version = `${uniqueMajor()}.1`;
  let main: string;
  let port: number;
  let baseUrl: string;
  let child: ChildProcess | undefined;
  let output = '';
  let gateway: GatewayClient | undefined;

  async function startApi(): Promise<void> {
    child = spawn(process.execPath, [main], {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        AUTH_MODE: 'none',
        MONGO_URL: mongoUrl.toString(),
        MQTT_CLIENT_ID: mqttClientId,
        API_INSTANCE_ID: 'restart',
        WEB_DIST_DIR: `/nonexistent-${suffix}`,
        RESOURCES_DIR: join(buildDir, 'resources'),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(
      async () => {
        if (child?.exitCode !== null) throw new Error(`API exited (${child?.exitCode}):\n${output}`);
        expect((await fetch(`${baseUrl}/api/health`)).status).toBe(200);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  }

  async function killApi(): Promise<void> {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  }

  beforeAll(async () => {
    main = await buildApi();
    port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
  }, 240_000);

  afterAll(async () => {
    await gateway?.close();
    await killApi();
    // Drop the API's persistent session on the broker and its database.
    await forgetMqttSession(`${mqttClientId}-restart`).catch(() => undefined);
    const connection = await mongoose.createConnection(mongoUrl.toString()).asPromise();
    await connection.dropDatabase();
    await connection.close();
    await rm(buildDir, { recursive: true, force: true });
  });

  it('confirms the upgrade from a Status sent while the API was down', async () => {
    await startApi();
    await uploadVersion(baseUrl, version, version);
    gateway = await connectGateway(uniqueId('gw-restart'), uniqueId('co'));
    await gateway.sendStatus({ version: '0.5' });
    await eventually(async () => expect((await api(baseUrl, `/api/gateways/${gateway?.gatewayId}`)).status).toBe(200));

    const upgrade = gateway.waitFor(ToGatewayMessageType.Upgrade, (message) => !message.broadcast);
    const created = await api<DeploymentCreatedDto>(baseUrl, '/api/deployments', { method: 'POST', body: { version, gatewayIds: [gateway.gatewayId] } });
    expect(created.status).toBe(201);
    expect((await upgrade).content.toString()).toBe(version);

    await killApi();
    // Installed while the API is down: the broker keeps the Status for the API's session.
    await gateway.sendStatus({ version, timestamp: Date.now() });
    await startApi();

    await eventually(
      async () => {
        const { body } = await api<DeploymentDetailDto>(baseUrl, `/api/deployments/${created.body.id}`);
        expect(body.targets[0]).toMatchObject({ gatewayId: gateway?.gatewayId, status: 'confirmed' });
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const { body } = await api<GatewayDto>(baseUrl, `/api/gateways/${gateway.gatewayId}`);
    expect(body).toMatchObject({ version, upgrade: { version, status: 'confirmed', deploymentId: created.body.id } });
  }, 120_000);
});
