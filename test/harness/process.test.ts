/**
 * Helper processes never outlive their watcher and always stop.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, sleep, spawnManaged } from './process.js';

const dir = mkdtempSync(path.join(tmpdir(), 'epack-process-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(50);
  }
  return check();
}

describe('managed processes', () => {
  it('stop() ends the whole group with SIGTERM', async () => {
    const proc = spawnManaged('sleep', ['60'], { logFile: path.join(dir, 'a.log') });
    expect(proc.exited()).toBe(false);
    await proc.stop();
    expect(proc.exited()).toBe(true);
  });

  it('stop() escalates to SIGKILL for a process that ignores SIGTERM', async () => {
    const proc = spawnManaged('/bin/sh', ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.1; done'], {
      logFile: path.join(dir, 'b.log'),
      graceMs: 300,
    });
    expect(await waitFor(() => proc.log().includes('ready'), 5000)).toBe(true);
    const t0 = Date.now();
    await proc.stop();
    expect(proc.exited()).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('the watchdog stops the process when the watched process dies', async () => {
    const parent = spawn('sleep', ['60'], { stdio: 'ignore' });
    const proc = spawnManaged('sleep', ['60'], { logFile: path.join(dir, 'c.log'), watchPid: parent.pid! });
    await sleep(300);
    expect(proc.exited()).toBe(false);
    parent.kill('SIGKILL');
    expect(await waitFor(() => proc.exited(), 6000)).toBe(true);
    await proc.stop();
  });

  it('captures output in the log file', async () => {
    const proc = spawnManaged('/bin/sh', ['-c', 'echo to-stdout; echo to-stderr >&2'], { logFile: path.join(dir, 'd.log') });
    expect(await waitFor(() => proc.exited(), 5000)).toBe(true);
    expect(proc.log()).toContain('to-stdout');
    expect(proc.log()).toContain('to-stderr');
    await proc.stop();
  });

  it('finds distinct free ports', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    for (const p of ports) expect(p).toBeGreaterThan(0);
  });
});
