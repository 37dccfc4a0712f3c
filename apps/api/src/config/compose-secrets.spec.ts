import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// docker-compose must refuse to start with an empty secret: an empty gateway password would
// otherwise become a valid broker account, an empty JWT secret a forgeable login.
describe('docker-compose.yml', () => {
  const root = join(__dirname, '../../../..');
  const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
  const secrets = ['JWT_SECRET', 'MQTT_PASSWORD', 'MQTT_GATEWAY_PASSWORD'];

  it.each(secrets)('requires %s to be set and not empty (${%s:?...})', (name) => {
    expect(compose).toMatch(new RegExp(`\\$\\{${name}:\\?[^}]+\\}`));
  });

  const composeBinary = ['docker-compose'].find((binary) => spawnSync(binary, ['version'], { stdio: 'ignore' }).status === 0);
  (composeBinary ? it : it.skip)('fails `docker-compose config` when a secret is empty, and passes when all are set', () => {
    // Only the variables given here: an empty env file instead of the project's .env.
    const envDir = mkdtempSync(join(tmpdir(), 'um-compose-'));
    const envFile = join(envDir, 'empty.env');
    writeFileSync(envFile, '');
    const run = (overrides: Record<string, string>) =>
      spawnSync(composeBinary as string, ['-f', join(root, 'docker-compose.yml'), '--env-file', envFile, 'config', '-q'], {
        env: { PATH: process.env['PATH'] ?? '', JWT_SECRET: 'x'.repeat(32), MQTT_PASSWORD: 'p', MQTT_GATEWAY_PASSWORD: 'g', ...overrides },
        encoding: 'utf8',
      });
    expect(run({}).status).toBe(0);
    const empty = run({ MQTT_GATEWAY_PASSWORD: '' });
    expect(empty.status).not.toBe(0);
    expect(empty.stderr).toContain('MQTT_GATEWAY_PASSWORD');
    rmSync(envDir, { recursive: true, force: true });
  });
});
