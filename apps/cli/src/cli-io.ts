import type { Command } from 'commander';
import { type CliContext, createContext, type GlobalOptions } from './context';

/** What the CLI reads and writes; main.ts passes the process's, tests their own. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The context of a command's action, from the program-level options (--api, --json). */
export function contextOf(command: Command, io: CliIo): CliContext {
  return createContext(command.optsWithGlobals<GlobalOptions>(), io.env, { stdout: io.stdout, stderr: io.stderr });
}
