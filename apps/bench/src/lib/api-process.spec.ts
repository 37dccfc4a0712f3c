import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { databaseEngine } from './api-process';

describe('databaseEngine', () => {
  it('names the program and the FerretDB backend of a running process', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', '--handler=postgresql'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      expect(databaseEngine(child.pid)).toBe(`${basename(process.execPath)} on postgresql`);
    } finally {
      child.kill();
    }
  });

  it('names the program alone without a backend, and nothing for no process', () => {
    expect(databaseEngine(process.pid)).toBe(basename(process.execPath));
    expect(databaseEngine(undefined)).toBeUndefined();
  });
});
