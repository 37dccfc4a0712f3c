import { ROLLOUT_ACTIONS, type CreateRolloutDto, type GatewayFilterDto, type RolloutAction, type RolloutDetailDto } from '@upgrade-manager/dto';
import type { RequestBodyOf } from '@upgrade-manager/api-client';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type CliIo, contextOf } from '../cli-io';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { note, printJson, printLine, printTable } from '../output';
import { progressBar } from '../progress';
import { decidedCount, parsePhases, rolloutExitCode, rolloutOutcome, rolloutProgressLine } from '../rollout-watch';
import { commaList, nonNegativeInteger, positiveInteger, positiveSeconds } from './option-parsers';

interface RolloutCreateOptions {
  version: string;
  phases: CreateRolloutDto['phases'];
  company?: string;
  tags?: string[];
  versions?: string[];
  online?: boolean;
  idPattern?: string;
  successThreshold?: number;
  approveEach?: boolean;
  abortFailureRate?: number;
  abortMinFinished?: number;
  maxPerMinute?: number;
  jitter?: number;
  retries?: number;
  backoff?: number;
  continuous?: boolean;
  watch?: boolean;
}

interface RolloutWatchOptions {
  interval: number;
  timeout?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function share(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0 || parsed > 1) throw new InvalidArgumentError('expected a number in 0..1');
  return parsed;
}

/** The request body from the options, defaults spelled out; the API validates it again (and answers 400 with the reason). */
export function rolloutRequest(options: RolloutCreateOptions): RequestBodyOf<'post', '/api/rollouts'> {
  const filter: GatewayFilterDto = {
    ...(options.company !== undefined && { companyId: options.company }),
    ...(options.tags !== undefined && { tags: options.tags }),
    ...(options.versions !== undefined && { versions: options.versions }),
    ...(options.online !== undefined && { online: options.online }),
    ...(options.idPattern !== undefined && { idPattern: options.idPattern }),
  };
  if ((options.abortFailureRate === undefined) !== (options.abortMinFinished === undefined)) {
    throw new CliError('An abort rule needs both --abort-failure-rate and --abort-min-finished.');
  }
  if (options.backoff !== undefined && options.retries === undefined) throw new CliError('--backoff needs --retries.');
  return {
    version: options.version,
    filter,
    phases: options.phases,
    successThreshold: options.successThreshold ?? 1,
    autoAdvance: !options.approveEach,
    ...(options.abortFailureRate !== undefined && { abort: { failureRate: options.abortFailureRate, minFinished: options.abortMinFinished ?? 1 } }),
    ...(options.maxPerMinute !== undefined && { maxPerMinute: options.maxPerMinute }),
    ...(options.jitter !== undefined && { jitterSeconds: options.jitter }),
    ...(options.retries !== undefined && { retries: { max: options.retries, backoffSeconds: options.backoff ?? 60 } }),
    continuous: options.continuous === true,
  };
}

function printRollout(context: CliContext, rollout: RolloutDetailDto): void {
  const { output } = context;
  if (output.json) return printJson(output, rollout);
  const source = rollout.deploymentId ? ` (deployment ${rollout.deploymentId})` : '';
  note(output, `Rollout ${rollout.id}${source}: version ${rollout.version}, ${rollout.state}${rollout.stateReason ? ` (${rollout.stateReason})` : ''}`);
  note(output, `${rolloutProgressLine(rollout)}; actions: ${rollout.actions.join(', ') || '-'}`);
  printTable(
    output,
    ['PHASE', 'SIZE', 'STATE', 'TARGETS', 'CONFIRMED', 'FAILED', 'PENDING', 'WAITING', 'STARTED', 'FINISHED'],
    rollout.phases.map((phase, index) => [
      index + 1,
      phase.percent !== null ? `${phase.percent}%` : phase.count,
      phase.state,
      phase.targets,
      phase.counts.confirmed,
      phase.counts.failed,
      phase.counts.pending + phase.counts.starting,
      phase.counts.waiting,
      phase.startedAt,
      phase.finishedAt,
    ]),
  );
  for (const failure of rollout.failures.slice(0, 20)) note(output, `  ${failure.gatewayId}: ${failure.reason} (${failure.attempts} attempt(s))`);
}

/**
 * Polls the rollout until it finished, aborted, was cancelled or ended a phase below its threshold
 * (or the time is up), showing its progress; throws a CliError with the pipeline's exit code unless finished.
 */
export async function watchRollout(context: CliContext, id: string, options: RolloutWatchOptions): Promise<void> {
  const { api, output } = context;
  const deadline = options.timeout === undefined ? Infinity : Date.now() + options.timeout * 1000;
  const bar = progressBar(output.stderr, `Rollout {version} {bar} {percentage}% | {line}`, { enabled: !output.json });
  let rollout: RolloutDetailDto;
  let lastState = '';
  try {
    for (;;) {
      rollout = await api.getRollout(id);
      bar.update(decidedCount(rollout), Math.max(rollout.targets, 1), { version: rollout.version, line: rolloutProgressLine(rollout) });
      if (rollout.state !== lastState && (rollout.state === 'waiting-approval' || rollout.state === 'paused') && !output.json) {
        note(output, `\nRollout ${id} is ${rollout.state}${rollout.stateReason ? ` (${rollout.stateReason})` : ''}: waiting for someone to act.`);
      }
      lastState = rollout.state;
      if (rolloutOutcome(rollout) !== 'in-progress' || Date.now() >= deadline) break;
      await sleep(Math.min(options.interval * 1000, Math.max(deadline - Date.now(), 0)));
    }
  } finally {
    bar.stop();
  }
  const outcome = rolloutOutcome(rollout);
  if (output.json) printJson(output, { outcome: outcome === 'in-progress' ? 'timeout' : outcome, ...rollout });
  const summary = rolloutProgressLine(rollout);
  if (outcome === 'finished') {
    note(output, `Rollout ${id} finished: ${summary}.`);
    return;
  }
  for (const failure of rollout.failures.slice(0, 20)) note(output, `  ${failure.gatewayId}: ${failure.reason}`);
  const messages = {
    aborted: `Rollout ${id} aborted: ${rollout.stateReason ?? 'abort criteria met'} (${summary}).`,
    cancelled: `Rollout ${id} was cancelled (${summary}).`,
    'below-threshold': `Rollout ${id} failed: ${rollout.stateReason ?? 'a phase ended below its success threshold'}; it waits for an approval.`,
    'in-progress': `Rollout ${id} is still ${rollout.state} after ${options.timeout} s (${summary}).`,
  } as const;
  throw new CliError(messages[outcome], rolloutExitCode(outcome));
}

function addWatchOptions(command: Command): Command {
  return command
    .option('--interval <seconds>', 'seconds between polls', positiveSeconds, 2)
    .option('--timeout <seconds>', `give up (exit ${EXIT.watchTimedOut}) when still in progress after this long`, positiveSeconds);
}

const WATCH_CODES =
  `exit ${EXIT.ok} finished, ${EXIT.targetsFailed} a phase ended below its success threshold, ${EXIT.watchTimedOut} --timeout, ` +
  `${EXIT.rolloutAborted} aborted, ${EXIT.rolloutCancelled} cancelled`;

export function registerRolloutCommands(program: Command, io: CliIo): void {
  const rollout = program.command('rollout').description('staged rollouts: a version to the gateways a filter matches, in phases');

  const create = rollout
    .command('create')
    .description('start a rollout; prints its id (or the rollout as JSON with --json)')
    .requiredOption('--version <version>', 'the version to install')
    .requiredOption('--phases <list>', 'phases as percents of all targets or counts of more targets, e.g. 1%,10%,100% or 5,100%', parsePhases)
    .option('--company <companyId>', 'gateways of one company (admins: always their own)')
    .option('--tags <tags>', 'gateways carrying every one of these tags (comma-separated)', commaList)
    .option('--versions <versions>', 'gateways currently at one of these versions (comma-separated)', commaList)
    .addOption(new Option('--online', 'online gateways only'))
    .addOption(new Option('--offline', 'offline gateways only').conflicts('online').implies({ online: false }))
    .option('--id-pattern <glob>', 'gateway id or name glob: * any run, ? one character')
    .option('--success-threshold <0..1>', 'confirmed share that completes a phase (default 1)', share)
    .option('--approve-each', 'each next phase waits for `rollout approve`')
    .option('--abort-failure-rate <0..1>', 'abort when failed / finished exceeds this, per phase and overall', share)
    .option('--abort-min-finished <n>', 'finished targets needed before the failure rate counts', positiveInteger)
    .option('--max-per-minute <n>', 'at most this many targets started in any minute', positiveInteger)
    .option('--jitter <seconds>', 'each target starts after a random delay up to this', nonNegativeInteger)
    .option('--retries <n>', 'further attempts of a failed target', nonNegativeInteger)
    .option('--backoff <seconds>', 'wait before the first retry, doubling (default 60)', positiveInteger)
    .option('--continuous', 'gateways that match later join the last phase')
    .option('--watch', `then watch it as \`rollout watch\` does (same exit codes)`);
  addWatchOptions(create).action(async (options: RolloutCreateOptions & RolloutWatchOptions, command: Command) => {
    const context = contextOf(command, io);
    const created = await context.api.createRollout(rolloutRequest(options));
    note(context.output, `Created rollout ${created.id}: version ${created.version} to ${created.targets} gateways in ${created.phases.length} phase(s).`);
    if (options.watch) return watchRollout(context, created.id, options);
    if (context.output.json) return printJson(context.output, created);
    // The id alone on stdout, for `ID=$(upgrade-manager rollout create ...)`.
    printLine(context.output, created.id);
  });

  rollout
    .command('status')
    .description('the rollout, its phases and failures')
    .argument('<id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = contextOf(command, io);
      printRollout(context, await context.api.getRollout(id));
    });

  addWatchOptions(rollout.command('watch').description(`live progress until the rollout ends; ${WATCH_CODES}`).argument('<id>')).action(
    async (id: string, options: RolloutWatchOptions, command: Command) => {
      await watchRollout(contextOf(command, io), id, options);
    },
  );

  const descriptions: Record<RolloutAction, string> = {
    pause: 'pause: nothing new starts; what is pending keeps its state',
    resume: 'resume a paused rollout',
    cancel: 'cancel: nothing new starts, for good',
    approve: 'approve the next phase (or finish after the last)',
  };
  for (const action of ROLLOUT_ACTIONS) {
    rollout
      .command(action)
      .description(`${descriptions[action]} (in the event log with your name)`)
      .argument('<id>')
      .action(async (id: string, _options: unknown, command: Command) => {
        const context = contextOf(command, io);
        const updated = await context.api.rolloutAction(id, action);
        if (context.output.json) return printJson(context.output, updated);
        note(context.output, `Rollout ${id}: ${updated.state}${updated.stateReason ? ` (${updated.stateReason})` : ''}.`);
      });
  }
}
