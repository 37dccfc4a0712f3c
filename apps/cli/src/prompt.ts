import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import type { CliIo } from './cli-io';

/** Asks one question on the terminal; `hidden` echoes nothing (passwords). */
export async function ask(io: CliIo, question: string, { hidden = false } = {}): Promise<string> {
  let muted = false;
  const echo = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) io.stderr.write(chunk);
      done();
    },
  });
  const terminal = io.stdin.isTTY === true;
  const readline = createInterface({ input: io.stdin, output: echo, terminal });
  try {
    const answer = readline.question(question);
    muted = hidden;
    const text = await answer;
    if (hidden) io.stderr.write('\n');
    return text.trim();
  } finally {
    readline.close();
  }
}
