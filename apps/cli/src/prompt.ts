import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import type { CliIo } from './cli-io';
import { CliError } from './exit-codes';

export interface Prompter {
  /** Asks one question; `hidden` echoes nothing (passwords). */
  ask(question: string, options?: { hidden?: boolean }): Promise<string>;
  close(): void;
}

const NO_ANSWER = 'No answer; nothing was changed.';

/**
 * Questions on the terminal, or lines read from stdin when it is not one (a pipeline's
 * `printf '%s\n' "$PASSWORD" | upgrade-manager login --email ...`). One reader for every question,
 * so that lines already buffered are not lost between them.
 */
export function createPrompter(io: CliIo): Prompter {
  let muted = false;
  const echo = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) io.stderr.write(chunk);
      done();
    },
  });
  const terminal = io.stdin.isTTY === true;
  const readline = createInterface({ input: io.stdin, output: echo, terminal });
  // Piped lines may all arrive before the first question: the iterator keeps them for the next ones.
  const lines = readline[Symbol.asyncIterator]();
  const fromTerminal = async (question: string, hidden: boolean) => {
    const answer = readline.question(question);
    muted = hidden;
    try {
      return await answer;
    } finally {
      muted = false;
      if (hidden) io.stderr.write('\n');
    }
  };
  const fromPipe = async (question: string) => {
    io.stderr.write(question);
    const line = await lines.next();
    io.stderr.write('\n');
    if (line.done) throw new CliError(NO_ANSWER);
    return line.value;
  };
  return {
    async ask(question, { hidden = false } = {}) {
      try {
        return (await (terminal ? fromTerminal(question, hidden) : fromPipe(question))).trim();
      } catch (error) {
        if (error instanceof CliError) throw error;
        // Ctrl-C or Ctrl-D at the prompt.
        throw new CliError(NO_ANSWER);
      }
    },
    close: () => readline.close(),
  };
}
