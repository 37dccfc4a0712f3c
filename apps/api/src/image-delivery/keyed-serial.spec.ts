import { KeyedSerial } from './keyed-serial';

describe('KeyedSerial', () => {
  it('runs the work of one key in order, other keys meanwhile, and forgets idle keys', async () => {
    const serial = new KeyedSerial();
    const log: string[] = [];
    let releaseFirst!: () => void;
    const first = serial.run('gw-1', () => new Promise<void>((resolve) => (releaseFirst = resolve)).then(() => void log.push('gw-1 a')));
    const second = serial.run('gw-1', async () => void log.push('gw-1 b'));
    await serial.run('gw-2', async () => void log.push('gw-2'));
    expect(log).toEqual(['gw-2']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(log).toEqual(['gw-2', 'gw-1 a', 'gw-1 b']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(serial.size).toBe(0);
  });

  it('runs the next work after a failure, and hands the failure to its caller only', async () => {
    const serial = new KeyedSerial();
    const failed = serial.run('gw-1', async () => {
      throw new Error('database down');
    });
    const next = serial.run('gw-1', async () => 'written');
    await expect(failed).rejects.toThrow('database down');
    await expect(next).resolves.toBe('written');
  });
});
