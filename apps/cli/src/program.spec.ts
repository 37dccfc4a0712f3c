import { PassThrough } from 'node:stream';
import { CommanderError } from 'commander';
import { createProgram } from './program';

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { io: { env: {}, stdin: new PassThrough(), stdout, stderr }, out: () => out, err: () => err };
}

async function parse(args: string[]) {
  const streams = io();
  const program = createProgram(streams.io);
  let error: unknown = null;
  await program.parseAsync(['node', 'upgrade-manager', ...args]).catch((caught: unknown) => (error = caught));
  return { error, out: streams.out(), err: streams.err() };
}

describe('the command line', () => {
  it('lists the commands in its help', async () => {
    const { out } = await parse(['--help']);
    for (const command of ['login', 'logout', 'versions', 'gateways', 'deploy', 'deployment']) expect(out).toContain(command);
  });

  it('refuses two deployment targets at once before calling the API', async () => {
    const { error, err } = await parse(['deploy', '--version', '1.2', '--company', '2', '--all']);
    expect(error).toBeInstanceOf(CommanderError);
    expect(err).toContain("option '--company <companyId>' cannot be used with option '--all'");
  });

  it('refuses an upgrade status the API does not know', async () => {
    const { error, err } = await parse(['gateways', 'list', '--upgrade-status', 'done']);
    expect(error).toBeInstanceOf(CommanderError);
    expect(err).toContain('Allowed choices are pending, confirmed, failed, none');
  });
});
