import type { DeploymentCreatedDto, GatewayListDto, RolloutDetailDto, VersionDto } from '@upgrade-manager/dto';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedAccounts, type TestAccounts } from './accounts';
import { connectGateway, uniqueId, uniqueMajor } from './protocol-helpers';
import { type NodeRun, runNode } from './subprocess';
import { eventually, startTestApi, type TestApi } from './test-api';

// Built by the api:integration target's dependencies on cli:build and gateway-sim:build.
const CLI_MAIN = join(__dirname, '../../../dist/apps/cli/apps/cli/src/main.js');
const SIM_MAIN = join(__dirname, '../../../dist/apps/gateway-sim/apps/gateway-sim/src/main.js');
const IMAGE_BYTES = 3 * 1024 * 1024;

/** The operator CLI, the way a pipeline runs it: a subprocess with its own config folder and no token from this environment. */
function runCli(args: string[], env: Record<string, string>, input = ''): Promise<NodeRun> {
  const { UPGRADE_MANAGER_API: _api, UPGRADE_MANAGER_TOKEN: _token, ...inherited } = process.env;
  return runNode([CLI_MAIN, ...args], { env: { ...inherited, ...env }, input });
}

/** A test image: its version on the first line (as the simulator reads it), then random bytes. */
function writeImage(dir: string, version: string): string {
  const file = join(dir, `${version}.bin`);
  writeFileSync(file, Buffer.concat([Buffer.from(`${version}\n`), randomBytes(IMAGE_BYTES - version.length - 1)]));
  return file;
}

const versionLine = (content: Buffer) => content.subarray(0, content.indexOf(0x0a)).toString('latin1');

/** The gateway simulator as a subprocess: a fleet `<prefix>-1..count` on the test broker, failing `failRate` of its installations. */
function startSimulator(prefix: string, companyId: string, count: number, failRate: number): ChildProcess {
  const args = [SIM_MAIN, prefix, companyId, '--count', String(count), '--url', process.env['MQTT_URL'] ?? '', '--clean', '--fail-rate', String(failRate)];
  return spawn(process.execPath, args, { env: process.env, stdio: 'ignore' });
}

describe('the operator CLI against the real API', () => {
  let testApi: TestApi;
  let accounts: TestAccounts;
  const gateways: GatewayClient[] = [];
  const companyId = uniqueId('co-cli');
  const gatewayIds = [1, 2, 3].map((n) => uniqueId(`gw-cli-${n}`));
  const configHome = mkdtempSync(join(tmpdir(), 'um-cli-config-'));
  const loggedOutHome = mkdtempSync(join(tmpdir(), 'um-cli-none-'));
  // Like the simulator's --fail-rate 1: when set, the gateways report their old version after an Upgrade.
  let gatewaysFail = false;
  let env: Record<string, string>;
  const simulators: ChildProcess[] = [];

  const cli = (...args: string[]) => runCli(args, env);

  beforeAll(async () => {
    for (const main of [CLI_MAIN, SIM_MAIN])
      if (!existsSync(main)) throw new Error(`${main} is missing: run \`npx nx run-many -t build -p cli gateway-sim\` (api:integration depends on them)`);
    testApi = await startTestApi({ AUTH_MODE: 'jwt', HOST: '127.0.0.1' });
    accounts = await seedAccounts(testApi.app);
    env = { XDG_CONFIG_HOME: configHome, UPGRADE_MANAGER_API: testApi.baseUrl };
    for (const gatewayId of gatewayIds) {
      const gateway = await connectGateway(gatewayId, companyId);
      let installed = '0.5';
      gateway.onUpgrade((content) => {
        if (!gatewaysFail) installed = versionLine(content);
        void gateway.sendStatus({ version: installed, timestamp: Date.now() }).catch(() => undefined);
      });
      await gateway.sendStatus({ version: installed });
      gateways.push(gateway);
    }
  });

  afterAll(async () => {
    for (const simulator of simulators) simulator.kill('SIGTERM');
    await Promise.all(gateways.map((gateway) => gateway.close()));
    await testApi?.close();
    for (const home of [configHome, loggedOutHome]) rmSync(home, { recursive: true, force: true });
  });

  it('logs in, uploads with a progress bar, deploys, and `deployment watch` gates on the outcome', async () => {
    // The password on stdin, as the README's pipeline gives it.
    const login = await runCli(['login', '--email', accounts.super.email], env, `${accounts.super.password}\n`);
    expect(login).toMatchObject({ code: 0 });
    expect(login.stderr).toContain(`as ${accounts.super.email}`);
    const credentials = join(configHome, 'upgrade-manager', 'credentials.json');
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(credentials, 'utf8'))).toMatchObject({ api: testApi.baseUrl, email: accounts.super.email });

    const version = `${uniqueMajor()}.1`;
    const image = writeImage(configHome, version);
    const upload = await cli('versions', 'upload', image, '--version', version, '--json');
    expect(upload.code).toBe(0);
    expect((JSON.parse(upload.stdout) as VersionDto).size).toBe(IMAGE_BYTES);
    expect(upload.stderr).toMatch(new RegExp(`Uploading ${version} .*100% \\| 3\\.0 MiB of 3\\.0 MiB`));

    const listed = await cli('versions', 'list');
    expect(listed.stdout).toMatch(new RegExp(`^${version.replace('.', '\\.')}\\s+yes\\s+${IMAGE_BYTES}`, 'm'));

    await eventually(async () => {
      const list = await cli('gateways', 'list', '--company', companyId, '--json');
      expect((JSON.parse(list.stdout) as GatewayListDto).items.map((gateway) => gateway.gatewayId).sort()).toEqual([...gatewayIds].sort());
    });

    const deploy = await cli('deploy', '--version', version, '--gateways', gatewayIds.join(','), '--json');
    expect(deploy.code).toBe(0);
    const deployment = JSON.parse(deploy.stdout) as DeploymentCreatedDto;
    expect(deployment.targets).toHaveLength(gatewayIds.length);
    const watch = await cli('deployment', 'watch', deployment.id, '--interval', '0.2', '--timeout', '60');
    expect(watch.stderr).toContain(`every target confirmed (${gatewayIds.length})`);
    expect(watch.code).toBe(0);

    // A pipeline's gate: the gateways report their old version, so the watch must fail.
    gatewaysFail = true;
    const failing = `${uniqueMajor()}.2`;
    expect((await cli('versions', 'upload', writeImage(configHome, failing), '--version', failing)).code).toBe(0);
    const failed = await cli('deploy', '--version', failing, '--company', companyId, '--watch', '--interval', '0.2', '--timeout', '60');
    expect(failed.stderr).toContain(`${gatewayIds.length} of ${gatewayIds.length} targets failed`);
    expect(failed.stderr).toContain('reported-version');
    expect(failed.code).toBe(3);

    const status = await cli('deployment', 'status', deployment.id, '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ id: deployment.id, counts: { confirmed: gatewayIds.length, failed: 0 } });
  }, 120_000);

  it('rollout create / watch / status / approve / pause / resume / cancel against simulated gateways; watch gates a pipeline', async () => {
    const version = `${uniqueMajor()}.3`;
    expect((await cli('versions', 'upload', writeImage(configHome, version), '--version', version)).code).toBe(0);
    const healthy = uniqueId('gw-clisim-ok');
    const failing = uniqueId('gw-clisim-bad');
    const simCompany = uniqueId('co-clisim');
    simulators.push(startSimulator(healthy, simCompany, 4, 0), startSimulator(failing, simCompany, 4, 1));
    await eventually(
      async () => {
        const list = JSON.parse((await cli('gateways', 'list', '--company', simCompany, '--json')).stdout) as GatewayListDto;
        expect(list.total).toBe(8);
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );

    // Created, then watched to the end: exit 0, with the progress shown.
    const created = await cli('rollout', 'create', '--version', version, '--id-pattern', `${healthy}-*`, '--phases', '50%,100%', '--json');
    expect(created.code).toBe(0);
    const rollout = JSON.parse(created.stdout) as RolloutDetailDto;
    expect(rollout).toMatchObject({ version, targets: 4, filter: { idPattern: `${healthy}-*` }, deploymentId: null });
    const watched = await cli('rollout', 'watch', rollout.id, '--interval', '0.3', '--timeout', '90');
    expect(watched.stderr).toMatch(new RegExp(`Rollout ${version.replace('.', '\\.')} .*\\| phase \\d/2`));
    expect(watched.stderr).toContain(`Rollout ${rollout.id} finished: phase 2/2 finished: 4 confirmed, 0 failed`);
    expect(watched.code).toBe(0);
    const status = await cli('rollout', 'status', rollout.id);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^1\s+50%\s+done\s+2\s+2\s+0/m);
    expect(status.stdout).toMatch(/^2\s+100%\s+done\s+2\s+2\s+0/m);

    // Failing gateways and an abort rule: the watch fails the pipeline with the aborted code.
    const aborted = await cli(
      'rollout',
      'create',
      '--version',
      version,
      '--id-pattern',
      `${failing}-*`,
      '--phases',
      '50%,100%',
      '--abort-failure-rate',
      '0.2',
      '--abort-min-finished',
      '2',
      '--watch',
      '--interval',
      '0.3',
      '--timeout',
      '90',
    );
    expect(aborted.stderr).toMatch(/aborted: phase 1: 2 of 2 finished targets failed/);
    expect(aborted.stderr).toContain('reported-version');
    expect(aborted.code).toBe(5);

    // With approvals, steered from the CLI: approve, pause, resume, cancel; a cancelled rollout's watch exits 6.
    const next = `${uniqueMajor()}.4`;
    expect((await cli('versions', 'upload', writeImage(configHome, next), '--version', next)).code).toBe(0);
    const approving = (
      await cli('rollout', 'create', '--version', next, '--id-pattern', `${healthy}-*`, '--phases', '1,2,100%', '--approve-each')
    ).stdout.trim();
    await eventually(
      async () => expect(JSON.parse((await cli('rollout', 'status', approving, '--json')).stdout)).toMatchObject({ state: 'waiting-approval' }),
      {
        timeoutMs: 30_000,
        intervalMs: 300,
      },
    );
    const approved = await cli('rollout', 'approve', approving, '--json');
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ state: 'running', currentPhase: 1 });
    expect((await cli('rollout', 'pause', approving)).stderr).toContain(`Rollout ${approving}: paused.`);
    expect((await cli('rollout', 'resume', approving)).code).toBe(0);
    expect((await cli('rollout', 'cancel', approving)).stderr).toContain(`Rollout ${approving}: cancelled.`);
    const cancelled = await cli('rollout', 'watch', approving, '--json');
    expect(cancelled.code).toBe(6);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ outcome: 'cancelled', state: 'cancelled' });
    // An action that does not apply says why.
    const refused = await cli('rollout', 'approve', approving);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Cannot approve a rollout that is cancelled (HTTP 409)');
  }, 240_000);

  it('refuses without a login, and `logout` revokes the stored token', async () => {
    const loggedOutEnv = { XDG_CONFIG_HOME: loggedOutHome, UPGRADE_MANAGER_API: testApi.baseUrl };
    const refused = await runCli(['versions', 'list'], loggedOutEnv);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('HTTP 401');

    const token = (JSON.parse(readFileSync(join(configHome, 'upgrade-manager', 'credentials.json'), 'utf8')) as { token: string }).token;
    expect((await cli('logout')).code).toBe(0);
    expect(existsSync(join(configHome, 'upgrade-manager', 'credentials.json'))).toBe(false);
    // The revoked token, given the way a pipeline gives it, is refused too.
    const revoked = await runCli(['versions', 'list'], { ...loggedOutEnv, UPGRADE_MANAGER_TOKEN: token });
    expect(revoked.code).toBe(1);
  });
});
