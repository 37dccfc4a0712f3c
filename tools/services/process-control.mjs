// Detached child processes: pid files, readiness (port) checks, stopping by pid, and finding the
// process that listens on a port (to report conflicts clearly). Linux /proc is used when present.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function readPidFile(pidFile) {
  try {
    const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function writePidFile(pidFile, pid) {
  mkdirSync(dirname(pidFile), { recursive: true });
  writeFileSync(pidFile, `${pid}\n`);
}

export function removePidFile(pidFile) {
  rmSync(pidFile, { force: true });
}

export function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  // A zombie (exited, not yet reaped) counts as gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return true;
  }
}

/** The command line of a process ('' when unknown: not Linux, or the process is gone). */
export function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/**
 * The pid from `pidFile` when that process is alive and (where /proc exists) its command line
 * contains `marker`, so a stale pid reused by an unrelated process is never reported or killed.
 */
export function runningPid(pidFile, marker) {
  const pid = readPidFile(pidFile);
  if (!pid || !isAlive(pid)) return null;
  if (existsSync('/proc/self/cmdline')) {
    const cmd = commandLine(pid);
    if (cmd && marker && !cmd.includes(marker)) return null;
  }
  return pid;
}

/** Keeps logs from growing without bound: moves a log above `maxBytes` to `<log>.1` before a start. */
export function rotateLog(logFile, maxBytes = 50 * 1024 * 1024) {
  try {
    if (statSync(logFile).size > maxBytes) renameSync(logFile, `${logFile}.1`);
  } catch {
    // no log yet
  }
}

/**
 * Starts `command` in its own session so it outlives the caller, with stdout and stderr appended to
 * `logFile`, and records its pid in `pidFile`. Returns the ChildProcess (already unref'ed).
 */
export function spawnDetached(command, args, { logFile, pidFile, cwd, env = process.env }) {
  mkdirSync(dirname(logFile), { recursive: true });
  rotateLog(logFile);
  const fd = openSync(logFile, 'a');
  try {
    writeFileSync(fd, `\n=== ${new Date().toISOString()} starting: ${command} ${args.join(' ')}\n`);
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
    child.exitInfo = null;
    child.on('exit', (code, signal) => {
      child.exitInfo = { code, signal };
    });
    child.on('error', (err) => {
      child.exitInfo = { code: null, signal: null, error: err };
    });
    if (child.pid) writePidFile(pidFile, child.pid);
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

/** Resolves true when a TCP connection to host:port succeeds within `timeoutMs`. */
export function canConnect(host, port, timeoutMs = 1000) {
  return new Promise((resolvePromise) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Waits until `check()` resolves true. Fails early when `child` has exited, and after `timeoutMs`.
 * The error message names `what` and includes the tail of `logFile`.
 */
export async function waitFor(check, { what, timeoutMs = 30_000, intervalMs = 250, child, logFile }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child?.exitInfo) {
      const { code, signal, error } = child.exitInfo;
      throw new Error(`${what} exited during start-up (${error ? error.message : signal ? `signal ${signal}` : `exit code ${code}`}).` + logTail(logFile));
    }
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s.${logTail(logFile)}`);
    await sleep(intervalMs);
  }
}

export function logTail(logFile, lines = 15) {
  if (!logFile || !existsSync(logFile)) return '';
  const text = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  return `\nLast lines of ${logFile}:\n${text}`;
}

/**
 * Stops a process: SIGTERM, then SIGKILL after `timeoutMs`. Resolves to 'stopped', 'killed' or
 * 'not-running'.
 */
export async function stopPid(pid, { timeoutMs = 10_000 } = {}) {
  if (!isAlive(pid)) return 'not-running';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'not-running';
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited meanwhile
  }
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  return 'killed';
}

/** Socket inodes of TCP sockets listening on `port` (IPv4 and IPv6), from /proc/net. */
function listeningInodes(port) {
  const inodes = new Set();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A = LISTEN
      const localPort = Number.parseInt(cols[1].split(':').pop(), 16);
      if (localPort === port) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** Processes listening on a TCP port: [{ pid, command }] (best effort; empty when unknown). */
export function listeningProcesses(port) {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return [];
  const found = [];
  let pids = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  for (const pid of pids) {
    let fds;
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1])) {
        found.push({ pid: Number(pid), command: commandLine(Number(pid)) });
        break;
      }
    }
  }
  return found;
}

/** A sentence naming whoever holds `port`, for error messages. */
export function describePortOwner(port) {
  const owners = listeningProcesses(port);
  if (owners.length === 0) return `Port ${port} is already in use by another process.`;
  return `Port ${port} is already in use by ${owners.map((o) => `pid ${o.pid} (${o.command || 'unknown command'})`).join(', ')}.`;
}
