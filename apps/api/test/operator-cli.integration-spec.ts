import type { DeploymentCreatedDto, GatewayListDto, VersionDto } from '@upgrade-manager/dto';
import type { GatewayClient } from '@upgrade-manager/gateway-client';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedAccounts, type TestAccounts } from './accounts';
import { connectGateway, uniqueId, uniqueMajor } from './protocol-helpers';
import { type NodeRun, runNode } from './subprocess';
import { eventually, startTestApi, type TestApi } from './test-api';

// Built by the api:integration target's dependency on cli:build.
const CLI_MAIN = join(__dirname, '../../../dist/apps/cli/apps/cli/src/main.js');
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

describe('the operator CLI against the real API', () => {
  let testApi: TestApi;
  let accounts: TestAccounts;
  const gateways: GatewayClient[] = [];
  const companyId = uniqueId('co-cli');
  const gatewayIds = [1, 2, 3].map((n) => uniqueId(`gw-cli-${n}`));
  const configHome = mkdtempSync(join(tmpdir(), 'um-cli-config-'));
  // Like the simulator's --fail-rate 1: when set, the gateways report their old version after an Upgrade.
  let gatewaysFail = false;
  let env: Record<string, string>;

  const cli = (...args: string[]) => runCli(args, env);

  beforeAll(async () => {
    if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run \`npx nx run cli:build\` (api:integration depends on it)`);
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
    await Promise.all(gateways.map((gateway) => gateway.close()));
    await testApi?.close();
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

  it('refuses without a login, and `logout` revokes the stored token', async () => {
    const loggedOutEnv = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'um-cli-none-')), UPGRADE_MANAGER_API: testApi.baseUrl };
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
