// `npm test`: everything the tests need, then the tests. Installs what is missing (Chromium here;
// Mosquitto and FerretDB through the local services), starts the services that are not running,
// checks formatting with Prettier, runs lint, typecheck, unit, integration, browser tests and the fault suite (with the API
// fuzzing) with Nx, and stops only the services it started: after a pass, a failure or Ctrl-C, together with whatever the fault
// suite left running. Exits with the code of the test run.
import { spawn } from 'node:child_process';
import { loadEnv, ROOT } from '../env.mjs';
import { servicesStatus, startServices, stopServices } from '../services/index.mjs';
import { beginFaultRun, sweepFaultRun } from '../testing/fault-run.mjs';
import { ensureChromium } from './chromium.mjs';
import { FailureDigest } from './failure-digest.mjs';

const NX_ARGS = ['nx', 'run-many', '-t', 'lint', 'typecheck', 'test', 'integration', 'e2e', 'faults', '--parallel=1', '--outputStyle=stream'];
const say = (line) => console.log(`[npm test] ${line}`);

/** Names of the managed services that are not running now (external ones are not ours to start). */
async function stoppedServices() {
  const { services } = await servicesStatus();
  return services.filter((service) => service.running === false).map((service) => service.name);
}

// A signal does not end this process at once: the services it started are stopped first.
let interrupted = null;
let forwardSignal = () => {};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    interrupted = signal;
    forwardSignal(signal);
  });
}

// One digest per stream, since a chunk of each may end mid-line.
const failures = { stdout: new FailureDigest(), stderr: new FailureDigest() };

/** Runs a command with its output passed through (and read for failures to repeat at the end). */
function run(args) {
  return new Promise((resolve) => {
    // Piped output is not a terminal: colours are asked for when this process writes to one.
    const env = process.stdout.isTTY ? { FORCE_COLOR: '1', ...process.env } : process.env;
    const child = spawn('npx', args, { cwd: ROOT, stdio: ['inherit', 'pipe', 'pipe'], env });
    for (const stream of ['stdout', 'stderr']) {
      child[stream].on('data', (chunk) => {
        process[stream].write(chunk);
        failures[stream].write(chunk);
      });
    }
    // Ctrl-C reaches Nx through the terminal too; a signal sent to this process alone is passed on.
    forwardSignal = (signal) => child.kill(signal);
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
    child.on('error', (error) => {
      console.error(error);
      resolve(1);
    });
  });
}

function reportFailures() {
  const lines = [...failures.stdout.lines(), ...failures.stderr.lines()];
  if (lines.length === 0) return;
  say('what failed, repeated from above:');
  for (const line of lines) console.log(`  ${line}`);
}

async function main() {
  loadEnv();
  ensureChromium({ log: say });

  const toStart = await stoppedServices();
  if (toStart.length > 0) say(`starting ${toStart.join(' and ')} (stopped again after the tests)`);
  else say('the services are already running; they are left running afterwards');
  let code = 1;
  const faultRun = beginFaultRun();
  try {
    await startServices();
    say('checking formatting (npm run format rewrites what it finds)');
    code = interrupted ? 130 : await run(['prettier', '--check', '--log-level', 'warn', '.']);
    if (code === 0 && !interrupted) code = await run([...NX_ARGS, ...process.argv.slice(2)]);
  } finally {
    if (code !== 0) reportFailures();
    await sweepFaultRun(faultRun, { log: say });
    if (toStart.length > 0) {
      say(`stopping what this run started: ${toStart.join(' and ')}`);
      await stopServices({ only: toStart });
    }
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
