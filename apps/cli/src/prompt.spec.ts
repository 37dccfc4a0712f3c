import { PassThrough } from 'node:stream';
import { CliError } from './exit-codes';
import { createPrompter } from './prompt';

function pipedIo(input: string) {
  const stdin = new PassThrough();
  stdin.end(input);
  return { env: {}, stdin, stdout: new PassThrough(), stderr: new PassThrough() };
}

describe('createPrompter on a pipe', () => {
  it('answers each question with the next line, even when every line came at once', async () => {
    const prompter = createPrompter(pipedIo('admin@example.com\n  secret \n'));
    expect(await prompter.ask('Email: ')).toBe('admin@example.com');
    expect(await prompter.ask('Password: ', { hidden: true })).toBe('secret');
    prompter.close();
  });

  it('ends with an error when stdin ends before an answer', async () => {
    const prompter = createPrompter(pipedIo('admin@example.com\n'));
    await prompter.ask('Email: ');
    await expect(prompter.ask('Password: ')).rejects.toThrow(CliError);
    prompter.close();
  });
});
