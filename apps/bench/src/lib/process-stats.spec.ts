import {
  parseStatChildTicks,
  parseStatParent,
  parseStatTicks,
  parseStatusMemory,
  readProcessSample,
  readProcessTreeCpu,
  ResourceMonitor,
} from './process-stats';

describe('parseStatTicks', () => {
  it('adds utime and stime, even with spaces and parentheses in the name', () => {
    const stat = '1234 (node (x) y) S 1 1234 1234 0 -1 4194304 100 0 0 0 250 75 0 0 20 0 11 0 123 456 789';
    expect(parseStatTicks(stat)).toBe(325);
  });

  it('rejects an unexpected line', () => {
    expect(() => parseStatTicks('garbage')).toThrow(/unexpected/);
  });

  it("reads the waited-for children's ticks and the parent pid", () => {
    const stat = '1234 (postgres) S 77 1234 1234 0 -1 4194304 100 0 0 0 250 75 40 2 20 0 11 0 123 456 789';
    expect(parseStatChildTicks(stat)).toBe(42);
    expect(parseStatParent(stat)).toBe(77);
  });
});

describe('readProcessTreeCpu', () => {
  it('counts at least the process itself, and null for a process that is gone', () => {
    const own = readProcessSample(process.pid);
    expect(readProcessTreeCpu(process.pid)).toBeGreaterThanOrEqual(own?.cpuSeconds ?? Infinity);
    expect(readProcessTreeCpu(2 ** 22 + 1)).toBeNull();
  });
});

describe('parseStatusMemory', () => {
  it('reads VmRSS and VmHWM in bytes', () => {
    const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
    expect(parseStatusMemory(status)).toEqual({ rssBytes: 102400 * 1024, peakRssBytes: 204800 * 1024 });
  });
});

describe('readProcessSample', () => {
  it('reads this process and returns null for a process that does not exist', () => {
    const sample = readProcessSample(process.pid);
    expect(sample?.rssBytes).toBeGreaterThan(0);
    expect(sample?.cpuSeconds).toBeGreaterThan(0);
    expect(readProcessSample(2 ** 22 + 1)).toBeNull();
  });
});

describe('ResourceMonitor', () => {
  it('measures CPU used between begin and end', () => {
    const monitor = new ResourceMonitor(process.pid);
    monitor.begin();
    const until = Date.now() + 50;
    while (Date.now() < until) Math.sqrt(Math.random());
    const usage = monitor.end();
    expect(usage?.cpuSeconds).toBeGreaterThanOrEqual(0);
    expect(usage?.peakRssBytes).toBeGreaterThan(0);
  });
});
