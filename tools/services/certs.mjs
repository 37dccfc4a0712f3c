// The broker's TLS files: creates a development CA and broker certificate (certs/create-dev-ca.sh)
// when the default files are missing, so the TLS listener is always on.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceError } from './config.mjs';

/**
 * Makes sure the CA, certificate and key named by `tls.files` exist. Missing default files are
 * created; missing files at operator-chosen paths (MQTT_TLS_*_FILE) are an error, since only the
 * operator can supply them.
 */
export function ensureBrokerCerts(root, tls, { log = console.log } = {}) {
  const missing = Object.values(tls.files).filter((file) => !existsSync(file));
  if (missing.length === 0) return;
  if (!tls.defaultFiles) {
    throw new ServiceError(
      `mosquitto: TLS file(s) missing: ${missing.join(', ')}.\n` +
        'MQTT_TLS_CA_FILE, MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE must name existing files, or be removed from .env ' +
        'to use a development CA created in certs/out/ (see certs/README.md).',
    );
  }
  log(`mosquitto: no broker certificate in certs/out/; creating a development CA and certificate (certs/create-dev-ca.sh)...`);
  const script = join(root, 'certs', 'create-dev-ca.sh');
  const result = spawnSync('bash', [script], {
    cwd: root,
    env: { ...process.env, MQTT_HOST: tls.certHosts },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    throw new ServiceError(`certs/create-dev-ca.sh failed${output ? `:\n${output}` : ` (${result.error?.message ?? `exit ${result.status}`})`}`);
  }
  for (const line of result.stdout.trim().split('\n').filter(Boolean)) log(`mosquitto: ${line}`);
  const stillMissing = Object.values(tls.files).filter((file) => !existsSync(file));
  if (stillMissing.length > 0) throw new ServiceError(`certs/create-dev-ca.sh did not create ${stillMissing.join(', ')}.`);
}
