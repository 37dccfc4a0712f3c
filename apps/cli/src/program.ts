import { Command } from 'commander';
import type { CliIo } from './cli-io';
import { registerDeploymentCommands } from './commands/deployments.command';
import { registerGatewayCommands } from './commands/gateways.command';
import { registerLoginCommands } from './commands/login.command';
import { registerRolloutCommands } from './commands/rollouts.command';
import { registerVersionCommands } from './commands/versions.command';
import { CLI_ENV, DEFAULT_API_URL } from './context';

/** The `upgrade-manager` command line: every command registered on one commander program. */
export function createProgram(io: CliIo): Command {
  const program = new Command('upgrade-manager')
    .description('Operate an Upgrade Manager from a terminal or a release pipeline.')
    .option('--api <url>', `API base URL (default: $${CLI_ENV.api}, else the one logged in to, else ${DEFAULT_API_URL})`)
    .option('--json', 'print the API data as JSON on stdout (progress and notes go to stderr)')
    .showHelpAfterError()
    // Errors and --help come back as a CommanderError (main.ts maps it to the exit code) instead of process.exit.
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .addHelpText(
      'after',
      `\nAuthentication: \`login\` stores a token; pipelines set $${CLI_ENV.token} instead.\n` +
        'Exit codes: 0 done, 1 error, 3 a deployment target failed (or a rollout phase ended below its success threshold),\n' +
        '4 `--timeout` reached while still in progress, 5 the rollout was aborted, 6 the rollout was cancelled.',
    );

  registerLoginCommands(program, io);
  registerVersionCommands(program, io);
  registerGatewayCommands(program, io);
  registerDeploymentCommands(program, io);
  registerRolloutCommands(program, io);
  return program;
}
