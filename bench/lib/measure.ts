/**
 * Runs one command and measures its wall time and peak RSS. Peak RSS comes
 * from GNU time (`/usr/bin/time -f %M`), which reads the kernel's rusage of
 * the child, so it covers the whole process lifetime.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export interface Measurement {
  ms: number;
  /** Peak resident set size in MiB, or NaN when GNU time is missing. */
  rssMiB: number;
  /** The command's standard output (first 1 MiB). */
  stdout: string;
}

export interface CommandSpec {
  cmd: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

const GNU_TIME = '/usr/bin/time';

export async function measure(spec: CommandSpec): Promise<Measurement> {
  const useTime = existsSync(GNU_TIME);
  const dir = mkdtempSync(path.join(tmpdir(), 'epack-bench-'));
  const timeFile = path.join(dir, 'time');
  const [cmd, args] = useTime ? [GNU_TIME, ['-f', '%M', '-o', timeFile, spec.cmd, ...spec.args]] : [spec.cmd, [...spec.args]];
  const started = process.hrtime.bigint();
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: spec.cwd, env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      if (out.length < 1 << 20) out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-16384); // the end says why it failed
    });
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c ?? -1, stdout: out, stderr: err }));
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  let rssMiB = Number.NaN;
  if (useTime && existsSync(timeFile)) {
    const kib = Number.parseInt(readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '', 10);
    if (Number.isFinite(kib)) rssMiB = kib / 1024;
  }
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0) {
    throw new Error(`${path.basename(spec.cmd)} ${spec.args.join(' ')} exited ${code}:\n${stderr.trim().split('\n').slice(-12).join('\n')}`);
  }
  return { ms, rssMiB, stdout };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Series {
  /** Median wall time of the measured runs. */
  ms: number;
  /** Largest peak RSS of the measured runs. */
  rssMiB: number;
  all: Measurement[];
}

/**
 * One untimed warm-up (page cache, registry state), then `runs` measured
 * runs. `prepare(i)` runs before each, untimed (i = -1 for the warm-up).
 */
export async function series(runs: number, spec: (i: number) => CommandSpec, prepare?: (i: number) => Promise<void> | void): Promise<Series> {
  const all: Measurement[] = [];
  for (let i = -1; i < runs; i++) {
    await prepare?.(i);
    const m = await measure(spec(i));
    if (i >= 0) all.push(m);
  }
  return { ms: median(all.map((r) => r.ms)), rssMiB: Math.max(...all.map((r) => r.rssMiB)), all };
}
