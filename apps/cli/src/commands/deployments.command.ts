import type { CreateDeploymentDto, DeploymentDetailDto } from '@upgrade-manager/dto';
import { type Command, Option } from 'commander';
import { type CliContext } from '../context';
import { type CliIo, contextOf } from '../cli-io';
import { countsLine, exitCodeOf, failedTargetLines, watchOutcome } from '../deployment-watch';
import { CliError, EXIT } from '../exit-codes';
import { note, printJson, printLine, printTable } from '../output';
import { progressBar } from '../progress';
import { commaList, positiveSeconds } from './option-parsers';

interface DeployOptions {
  version: string;
  gateways?: string[];
  company?: string;
  all?: boolean;
  watch?: boolean;
}

export interface WatchOptions {
  interval: number;
  timeout?: number;
  failFast?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function targetOf(options: DeployOptions): Omit<CreateDeploymentDto, 'version'> {
  if (options.gateways) return { gatewayIds: options.gateways };
  if (options.company) return { companyId: options.company };
  if (options.all) return { all: true };
  throw new CliError('Say where to deploy: --gateways a,b, --company C or --all.');
}

function printDeployment(context: CliContext, deployment: DeploymentDetailDto): void {
  const { output } = context;
  if (output.json) return printJson(output, deployment);
  note(
    output,
    `Deployment ${deployment.id}: version ${deployment.version} to ${deployment.scope} (${deployment.companyIds.join(', ') || '-'}), created ${deployment.createdAt}`,
  );
  note(output, countsLine(deployment.counts));
  printTable(
    output,
    ['GATEWAY', 'COMPANY', 'STATUS', 'REASON', 'REPORTED', 'UPDATED'],
    deployment.targets.map((target) => [target.gatewayId, target.companyId, target.status, target.reason, target.reportedVersion, target.updatedAt]),
  );
}

/**
 * Polls the deployment until every target settled (or one failed, with failFast, or the time is up),
 * showing the progress; throws a CliError with the pipeline's exit code unless all confirmed.
 */
export async function watchDeployment(context: CliContext, id: string, options: WatchOptions): Promise<void> {
  const { api, output } = context;
  const deadline = options.timeout === undefined ? Infinity : Date.now() + options.timeout * 1000;
  const bar = progressBar(output.stderr, `Deployment {version} {bar} {percentage}% | {line}`, { enabled: !output.json });
  let deployment: DeploymentDetailDto;
  try {
    for (;;) {
      deployment = await api.getDeployment(id);
      const { counts } = deployment;
      bar.update(counts.confirmed + counts.failed, Math.max(counts.total, 1), { version: deployment.version, line: countsLine(counts) });
      if (watchOutcome(counts, options) !== 'pending' || Date.now() >= deadline) break;
      await sleep(Math.min(options.interval * 1000, Math.max(deadline - Date.now(), 0)));
    }
  } finally {
    bar.stop();
  }
  const outcome = watchOutcome(deployment.counts, options);
  if (output.json) printJson(output, { outcome: outcome === 'pending' ? 'timeout' : outcome, ...deployment });
  if (outcome === 'confirmed') {
    note(output, `Deployment ${id}: every target confirmed (${deployment.counts.confirmed}).`);
    return;
  }
  if (outcome === 'failed') {
    for (const line of [`Deployment ${id} failed: ${countsLine(deployment.counts)}`, ...failedTargetLines(deployment)]) note(output, line);
    throw new CliError(`${deployment.counts.failed} of ${deployment.counts.total} targets failed.`, exitCodeOf(outcome));
  }
  throw new CliError(`Deployment ${id} still has ${deployment.counts.pending} pending targets after ${options.timeout} s.`, EXIT.watchTimedOut);
}

function addWatchOptions(command: Command): Command {
  return command
    .option('--interval <seconds>', 'seconds between polls', positiveSeconds, 2)
    .option('--timeout <seconds>', 'give up (exit 4) when targets are still pending after this long', positiveSeconds)
    .option('--fail-fast', 'exit 3 at the first failed target instead of waiting for the others');
}

export function registerDeploymentCommands(program: Command, io: CliIo): void {
  const deploy = program
    .command('deploy')
    .description('deploy a version to gateways: a list, a company, or all (super users)')
    .requiredOption('--version <version>', 'the version to install')
    .addOption(new Option('--gateways <ids>', 'comma-separated gateway ids').argParser(commaList).conflicts(['company', 'all']))
    .addOption(new Option('--company <companyId>', 'every enabled gateway of a company').conflicts('all'))
    .option('--all', 'every enabled gateway (super users)')
    .option('--watch', 'then watch it as `deployment watch` does (same exit codes)');
  addWatchOptions(deploy).action(async (options: DeployOptions & WatchOptions, command: Command) => {
    const context = contextOf(command, io);
    const created = await context.api.createDeployment({ version: options.version, ...targetOf(options) });
    if (!options.watch) {
      if (context.output.json) return printJson(context.output, created);
      note(context.output, `Created deployment ${created.id}: version ${created.version} to ${created.targets.length} gateways.`);
      // The id alone on stdout, for `ID=$(upgrade-manager deploy ...)`.
      return printLine(context.output, created.id);
    }
    note(context.output, `Created deployment ${created.id}: version ${created.version} to ${created.targets.length} gateways.`);
    await watchDeployment(context, created.id, options);
  });

  const deployment = program.command('deployment').description('one deployment');
  deployment
    .command('status')
    .description('the deployment and each target')
    .argument('<id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = contextOf(command, io);
      printDeployment(context, await context.api.getDeployment(id));
    });

  addWatchOptions(
    deployment
      .command('watch')
      .description('live progress until every target settled; exit 0 when all confirmed, 3 when any failed, 4 on --timeout')
      .argument('<id>'),
  ).action(async (id: string, options: WatchOptions, command: Command) => {
    await watchDeployment(contextOf(command, io), id, options);
  });
}
