#!/usr/bin/env node
// `npx upgrade-manager <command>`: the operator CLI (see README, "Operator CLI").
import { CommanderError } from 'commander';
import { createProgram } from './program';
import { CliError, EXIT } from './exit-codes';

async function main(): Promise<number> {
  const program = createProgram({ env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
  try {
    await program.parseAsync(process.argv);
    return EXIT.ok;
  } catch (error) {
    // Commander has printed its own message (usage errors, --help).
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError) {
      process.stderr.write(`Error: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT.error;
  },
);
