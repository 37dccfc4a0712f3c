// `npm start`: ensures the local services, builds the API and web app, initialises an empty
// database and runs the API (serving the web app) until Ctrl-C, then stops what it started.
// `npm start -- --instances N` runs N API processes on ports PORT..PORT+N-1, one database and broker.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadEnv, ROOT } from '../env.mjs';
import { servicesStatus, startServices, stopServices } from '../services/index.mjs';

const API_ENTRY = join(ROOT, 'dist/apps/api/apps/api/src/main.js');
const CLI_ENTRY = join(ROOT, 'dist/apps/api/apps/api/src/cli/main.js');
// Bounds the API's old space (README "API heap bound"): V8 then grows it lazily by at most ~1.4 times the live heap.
const API_HEAP_LIMIT = '--max-old-space-size=512';

function run(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env: process.env });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})`);
}

/** `--instances N` (default 1). */
function instancesFrom(argv) {
  const index = argv.indexOf('--instances');
  if (index === -1) return 1;
  const count = Number(argv[index + 1]);
  if (!Number.isInteger(count) || count < 1 || count > 32) throw new Error('--instances takes a whole number from 1 to 32');
  return count;
}

async function main() {
  const instances = instancesFrom(process.argv);
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

  // Each process: its own port and instance id (so its own MQTT session), the rest shared.
  const basePort = Number(process.env.PORT || 5001);
  const apis = Array.from({ length: instances }, (_, index) => {
    const env = {
      ...process.env,
      PORT: String(basePort + index),
      ...(instances > 1 ? { API_INSTANCE_ID: process.env.API_INSTANCE_ID ? `${process.env.API_INSTANCE_ID}-${index + 1}` : `local-${index + 1}` } : {}),
    };
    return spawn(process.execPath, ['--enable-source-maps', API_HEAP_LIMIT, API_ENTRY], { cwd: ROOT, stdio: 'inherit', env });
  });
  if (instances > 1) console.log(`${instances} API processes on ports ${basePort}..${basePort + instances - 1}`);
  const shutdown = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the API${instances > 1 ? ' processes' : ''}${ownsServices ? ' and the services it started' : ''}...`);
    for (const api of apis) api.kill('SIGTERM');
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  let running = apis.length;
  let exitCode = 0;
  for (const api of apis) {
    api.on('exit', async (code) => {
      // One process ending on its own ends the others too: the run is over, with its exit code.
      if (!stopping) {
        exitCode = code ?? 1;
        void shutdown(`API exited (${code})`);
      }
      if (--running > 0) return;
      await stopStarted();
      process.exit(exitCode);
    });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
