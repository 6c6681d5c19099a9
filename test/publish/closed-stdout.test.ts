/**
 * `epack … | head -1`: when the reader of stdout goes away, epack ends
 * quietly: no unhandled EPIPE stack trace, exit 141 (128 + SIGPIPE, as shells
 * report a producer whose pipe closed), never a success it did not reach.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/tools.js';
import { buildDemoPacks, type DemoPacks } from './fixtures.js';

let packs: DemoPacks;
beforeAll(async () => {
  packs = await buildDemoPacks();
});

function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'packages/cli/bin/epack.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader is gone before epack writes anything: every write fails with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('a closed stdout', () => {
  it.each([['inspect'], ['list', 'artifacts'], ['verify']])('%s ends quietly with exit 141', async (...command) => {
    const result = await withClosedStdout([...command, packs.v1]);
    expect(result.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(result.code).toBe(141);
  }, 30_000);
});
