/**
 * Progress bars of push and pull: drawn on a terminal (bytes and blobs, with
 * the real totals from the first frame), absent when output is not a
 * terminal. The terminal is a pty from util-linux `script`.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, runEpack, type Sandbox } from '../harness/cli.js';
import { startRegistry, stopAllRegistries, type RunningRegistry } from '../harness/registries.js';
import { REPO_ROOT } from '../harness/tools.js';
import { buildDemoPacks, type DemoPacks } from './fixtures.js';

const run = promisify(execFile);
const EPACK = path.join(REPO_ROOT, 'packages/cli/bin/epack.js');
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

let packs: DemoPacks;
let reg: RunningRegistry | undefined;
let sandbox: Sandbox;
beforeAll(async () => {
  packs = await buildDemoPacks();
  reg = await startRegistry('distribution2');
  sandbox = createSandbox();
});
afterAll(async () => {
  await stopAllRegistries();
  sandbox?.dispose();
});

/** Runs epack in a pseudo-terminal; returns everything it drew. */
async function inTerminal(args: string[]): Promise<string> {
  const command = ['node', EPACK, ...args].map(quote).join(' ');
  const { stdout } = await run('script', ['-qfec', command, '/dev/null'], {
    cwd: packs.dir,
    env: { ...process.env, ...sandbox.env, NO_COLOR: '1', CI: undefined, TERM: 'xterm' } as NodeJS.ProcessEnv,
    timeout: 60_000,
  });
  return stdout;
}

describe('progress', () => {
  it('push and pull draw bytes and blobs on a terminal, nothing otherwise', async (ctx) => {
    if (!reg) return ctx.skip();
    const ref = `${reg.host}/acme/progress:v1`;
    const push = await inTerminal(['push', ref, packs.v1]);
    // 4 artifacts and manifest.json
    expect(push).toMatch(/push +\S+ +\d+% \| [\d.]+ (?:B|KiB)\/[\d.]+ KiB/);
    expect(push).toMatch(/push +\S+ +\d+% \| \d\/5 blobs/);
    expect(push).not.toContain('0 B/0 B');
    expect(push).toContain(`tagged ${ref}`);
    const out = path.join(packs.dir, 'progress.epack');
    const pull = await inTerminal(['pull', ref, '-o', out]);
    expect(pull).toMatch(/pull +\S+ +\d+% \| \d\/4 blobs/);
    expect(pull).toContain(`wrote ${out}`);
    expect((await readFile(out)).equals(await readFile(packs.v1))).toBe(true);

    // Not a terminal: no bar, no escape sequences; stderr has the one summary line.
    const plain = await runEpack(['push', `${reg.host}/acme/progress:v2`, packs.v2], { sandbox, cwd: packs.dir });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toBe('2 blob(s) uploaded, 3 already present\n');
    expect(plain.stdout).not.toMatch(/%|\x1b\[/);
    const quiet = await inTerminal(['pull', `${reg.host}/acme/progress:v2`, '-o', path.join(packs.dir, 'quiet.epack'), '--quiet']);
    expect(quiet).not.toMatch(/blobs/);
  }, 60_000);
});
