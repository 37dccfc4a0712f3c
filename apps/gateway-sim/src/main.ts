import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { SimOptionsError, buildProgram, resolveSimOptions, type SimFlags } from './sim-options';
import { Simulator } from './simulator';

/** The repository root (where nx.json is), from the source or the built file alike. */
function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

async function main(): Promise<number> {
  // Output piped into e.g. `head` that has gone away: nothing more to say.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const root = findRoot(__dirname);
  loadDotenv({ path: join(root, '.env'), quiet: true });
  const program = buildProgram();
  program.parse();
  const [gatewayId = '', companyId = ''] = program.args;
  const options = resolveSimOptions(gatewayId, companyId, program.opts<SimFlags>(), process.env, root);

  let stop: () => Promise<void> = async () => undefined;
  const simulator = new Simulator(options, {
    stdout: process.stdout,
    // --exit-after-bytes: the download state is saved; leave as a power cut would, with status 3.
    onExitAfterBytes: () => void stop().then(() => process.exit(3)),
  });
  let stopping: Promise<void> | undefined;
  stop = () => (stopping ??= simulator.stop());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        process.stderr.write('Stopping at once.\n');
        process.exit(130);
      }
      void stop().then(() => process.exit(0));
    });
  }

  const result = await simulator.start();
  if (result.connected === 0 && result.failed.length === simulator.fleet.size && !stopping) {
    await stop();
    const first = result.failed[0]?.error;
    process.stderr.write(`No gateway could connect to ${options.url}: ${first instanceof Error ? first.message : String(first)}\n`);
    return 1;
  }
  // Runs until a signal ends the process.
  return new Promise<number>(() => undefined);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof SimOptionsError) {
      process.stderr.write(`gateway-sim: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`gateway-sim: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
