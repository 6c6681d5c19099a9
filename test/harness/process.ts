/**
 * Long-running helper processes (registries) that can never outlive the test
 * process: each runs in its own process group under a tiny shell watchdog that
 * stops it when the test process disappears (even on SIGKILL), `stop()` ends
 * the group by PID (SIGTERM, then SIGKILL), and an exit hook kills whatever
 * is still running.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as net from 'node:net';

export interface ManagedProcess {
  /** PID of the watchdog, which is also the process group id. */
  pid: number;
  logFile: string;
  /** True once every process of the group has gone. */
  exited(): boolean;
  /** The log file's content (stdout and stderr of the process). */
  log(): string;
  stop(): Promise<void>;
}

// $1 = PID to watch; the rest is the command. The loop ends when the command
// exits or the watched process is gone; then the command gets SIGTERM and,
// if still there 3 s later, SIGKILL.
const WATCHDOG = [
  'p=$1; shift',
  '"$@" & c=$!',
  'while kill -0 "$p" 2>/dev/null && kill -0 "$c" 2>/dev/null; do sleep 1; done',
  'kill -TERM "$c" 2>/dev/null',
  'for i in 1 2 3 4 5 6; do kill -0 "$c" 2>/dev/null || break; sleep 0.5; done',
  'kill -KILL "$c" 2>/dev/null',
  'wait "$c"',
].join('\n');

const live = new Map<number, { cleanup: string[] }>();
let exitHookInstalled = false;

/**
 * Whether any process of the group is still running. Orphans that already
 * died stay zombies until PID 1 reaps them (slowly, in some containers), and
 * kill(-pgid, 0) counts zombies, so on Linux read /proc instead.
 */
function groupAlive(pgid: number): boolean {
  if (existsSync('/proc/self/stat')) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      // pid (comm) state ppid pgrp ... — comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
    }
    return false;
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [pgid, { cleanup }] of live) {
      killGroup(pgid, 'SIGKILL');
      for (const p of cleanup) rmSync(p, { recursive: true, force: true });
    }
    live.clear();
  });
}

/** Removes `paths` when the process group is stopped (or when the test process exits). */
export function registerCleanup(proc: ManagedProcess, ...paths: string[]): void {
  live.get(proc.pid)?.cleanup.push(...paths);
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  /** How long `stop()` waits after SIGTERM before SIGKILL; default 5 s. */
  graceMs?: number;
  /** The process whose end stops this one; default the test process (tests of the watchdog pass another). */
  watchPid?: number;
}

export function spawnManaged(command: string, args: string[], options: SpawnOptions): ManagedProcess {
  installExitHook();
  const fd = openSync(options.logFile, 'a');
  let child;
  try {
    child = spawn('/bin/sh', ['-c', WATCHDOG, 'epack-watchdog', String(options.watchPid ?? process.pid), command, ...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  child.on('error', () => undefined);
  live.set(pid, { cleanup: [] });
  const log = (): string => {
    try {
      return readFileSync(options.logFile, 'utf8');
    } catch {
      return '';
    }
  };
  let stopping: Promise<void> | undefined;
  const proc: ManagedProcess = {
    pid,
    logFile: options.logFile,
    exited: () => !groupAlive(pid),
    log,
    stop: () =>
      (stopping ??= (async () => {
        killGroup(pid, 'SIGTERM');
        const deadline = Date.now() + (options.graceMs ?? 5000);
        while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
        if (groupAlive(pid)) {
          killGroup(pid, 'SIGKILL');
          while (groupAlive(pid)) await sleep(20);
        }
        const entry = live.get(pid);
        live.delete(pid);
        for (const p of entry?.cleanup ?? []) rmSync(p, { recursive: true, force: true });
      })()),
  };
  return proc;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A port that was free a moment ago on 127.0.0.1 (bind :0, read, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Stops every managed process still running. */
export async function stopAllManaged(): Promise<void> {
  const pids = [...live.keys()];
  await Promise.all(
    pids.map(async (pgid) => {
      killGroup(pgid, 'SIGTERM');
      const deadline = Date.now() + 5000;
      while (groupAlive(pgid) && Date.now() < deadline) await sleep(50);
      killGroup(pgid, 'SIGKILL');
      for (const p of live.get(pgid)?.cleanup ?? []) rmSync(p, { recursive: true, force: true });
      live.delete(pgid);
    }),
  );
}
