import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

export interface ProcessSample {
  /** User + system CPU time since the process started. */
  cpuSeconds: number;
  rssBytes: number;
  /** Peak RSS since start (or since the last `resetPeakRss`). */
  peakRssBytes: number;
}

export interface ResourceUsage {
  cpuSeconds: number;
  peakRssBytes: number;
}

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function statFields(stat: string): string[] {
  // The command name (field 2) may contain spaces and parentheses: fields are counted after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function tickFields(stat: string, indexes: readonly number[]): number {
  const fields = statFields(stat);
  const values = indexes.map((index) => Number(fields[index]));
  if (values.some((value) => !Number.isFinite(value))) throw new Error(`unexpected /proc stat line: ${stat.slice(0, 80)}`);
  return values.reduce((sum, value) => sum + value, 0);
}

// Field 3 (state) is fields[0], so utime (14), stime (15), cutime (16), cstime (17) are fields[11..14].
const OWN_TICKS = [11, 12];
const WAITED_CHILDREN_TICKS = [13, 14];

/** utime + stime in clock ticks from the text of /proc/<pid>/stat. */
export function parseStatTicks(stat: string): number {
  return tickFields(stat, OWN_TICKS);
}

/** cutime + cstime (children that exited and were waited for) in clock ticks from the text of /proc/<pid>/stat. */
export function parseStatChildTicks(stat: string): number {
  return tickFields(stat, WAITED_CHILDREN_TICKS);
}

/** The parent pid from the text of /proc/<pid>/stat. */
export function parseStatParent(stat: string): number {
  return Number(statFields(stat)[1]);
}

/**
 * CPU seconds of a process and all its direct children now: its own time, its exited children's,
 * and each living child's (PostgreSQL runs one process per connection under the postmaster).
 */
export function readProcessTreeCpu(pid: number): number | null {
  let ticks: number;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    ticks = parseStatTicks(stat) + parseStatChildTicks(stat);
  } catch {
    return null;
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (parseStatParent(stat) === pid) ticks += parseStatTicks(stat);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / ticksPerSecond();
}

/** VmRSS and VmHWM in bytes from the text of /proc/<pid>/status. */
export function parseStatusMemory(status: string): { rssBytes: number; peakRssBytes: number } {
  const kib = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`no ${name} in /proc status`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

/** The process's CPU time and memory now; null when it has gone. */
export function readProcessSample(pid: number): ProcessSample | null {
  try {
    const ticks = parseStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return { cpuSeconds: ticks / ticksPerSecond(), ...parseStatusMemory(readFileSync(`/proc/${pid}/status`, 'utf8')) };
  } catch {
    return null;
  }
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0, own processes); false when not allowed. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU seconds and peak RSS of one process over a span of time. The peak comes from VmHWM after a
 * reset when the kernel allows it, and from RSS samples otherwise (which can miss short spikes).
 */
export class ResourceMonitor {
  private start: ProcessSample | null = null;
  private sampledPeak = 0;
  private hwmReset = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly pid: number,
    private readonly intervalMs = 100,
    /** Count the CPU of the process's children too (the memory stays the process's own). */
    private readonly withChildren = false,
  ) {}

  private sample(): ProcessSample | null {
    const sample = readProcessSample(this.pid);
    if (!sample || !this.withChildren) return sample;
    const cpuSeconds = readProcessTreeCpu(this.pid);
    return cpuSeconds === null ? null : { ...sample, cpuSeconds };
  }

  begin(): void {
    this.hwmReset = resetPeakRss(this.pid);
    this.start = this.sample();
    this.sampledPeak = this.start?.rssBytes ?? 0;
    this.timer = setInterval(() => {
      const sample = readProcessSample(this.pid);
      if (sample) this.sampledPeak = Math.max(this.sampledPeak, sample.rssBytes);
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Usage since `begin()`; null when the process was not readable. */
  end(): ResourceUsage | null {
    clearInterval(this.timer);
    const end = this.sample();
    if (!this.start || !end) return null;
    const peak = Math.max(this.sampledPeak, end.rssBytes, this.hwmReset ? end.peakRssBytes : 0);
    return { cpuSeconds: end.cpuSeconds - this.start.cpuSeconds, peakRssBytes: peak };
  }
}

/** Several monitors begun and ended together, by name. */
export class ResourceMonitors {
  private readonly monitors: [string, ResourceMonitor][];

  /** `trees`: names whose processes' children count too. */
  constructor(pids: Record<string, number | undefined>, trees: readonly string[] = []) {
    this.monitors = Object.entries(pids)
      .filter((entry): entry is [string, number] => entry[1] !== undefined)
      .map(([name, pid]) => [name, new ResourceMonitor(pid, undefined, trees.includes(name))]);
  }

  begin(): void {
    for (const [, monitor] of this.monitors) monitor.begin();
  }

  end(): Record<string, ResourceUsage> {
    const usage: Record<string, ResourceUsage> = {};
    for (const [name, monitor] of this.monitors) {
      const result = monitor.end();
      if (result) usage[name] = result;
    }
    return usage;
  }
}
