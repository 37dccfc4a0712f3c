// `npm start`: ensures the local services, builds the API and web app, initialises an empty
// database and runs the API (serving the web app) until Ctrl-C, then stops what it started.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadEnv, ROOT } from '../env.mjs';
import { servicesStatus, startServices, stopServices } from '../services/index.mjs';

const API_ENTRY = join(ROOT, 'dist/apps/api/apps/api/src/main.js');
const CLI_ENTRY = join(ROOT, 'dist/apps/api/apps/api/src/cli/main.js');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env: process.env });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})`);
}

async function main() {
  // `npm run start:insecure`: development mode (no login, plain MQTT, loopback only); set before
  // loadEnv so these win over .env.
  if (process.argv.includes('--insecure')) Object.assign(process.env, { AUTH_MODE: 'none', HOST: '127.0.0.1', MQTT_URL: 'mqtt://127.0.0.1:1883' });
  loadEnv();
  // Services that were already running belong to someone else (another shell, CI): leave them.
  const before = await servicesStatus();
  const ownsServices = before.services.every((service) => service.running === false);
  await startServices();
  let stopping = false;
  const stopStarted = async () => {
    if (ownsServices) await stopServices();
  };

  try {
    run('npx', ['nx', 'run-many', '-t', 'build', '-p', 'api', 'web', '--outputStyle=static']);
    run(process.execPath, [CLI_ENTRY, 'init', '--if-empty']);
  } catch (error) {
    await stopStarted();
    throw error;
  }

  const api = spawn(process.execPath, ['--enable-source-maps', API_ENTRY], { cwd: ROOT, stdio: 'inherit', env: process.env });
  const shutdown = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the API${ownsServices ? ' and the services it started' : ''}...`);
    api.kill('SIGTERM');
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  api.on('exit', async (code) => {
    await stopStarted();
    process.exit(stopping ? 0 : (code ?? 1));
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
