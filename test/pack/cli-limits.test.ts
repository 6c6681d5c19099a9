/**
 * The pack budgets as flags (`--max-pack-size`, `--max-artifact-size`, …):
 * every command that reads or writes a pack file takes them, a limit that
 * is hit names the flag that raises it, and a bad value is one usage line.
 * Needs `pnpm build`.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEpack, type RunResult } from '../harness/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'epack-cli-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const epack = (args: string[]): Promise<RunResult> => runEpack(args, { cwd: dir });

function limitError(r: RunResult, code: string, flag: string): void {
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`epack: ${code}: `);
  expect(lines[0]).toContain(`raise the limit with ${flag}`);
}

const SMALL = ['--max-artifact-size', '1MiB'];

describe('pack limit flags', () => {
  beforeAll(async () => {
    writeFileSync(path.join(dir, 'big.bin'), randomBytes(2_200_000));
    writeFileSync(path.join(dir, 'small.json'), '{"ok":true}');
    expect((await epack(['build', 'big.epack', 'big.bin', '--stream', 'acme/big'])).code).toBe(0);
    expect((await epack(['build', 'small.epack', 'small.json', '--stream', 'acme/small'])).code).toBe(0);
    expect((await epack(['push', 'oci:./store:v1', 'big.epack'])).code).toBe(0);
  }, 60_000);

  it.each([
    ['verify', ['verify', 'big.epack', '--integrity-only']],
    ['inspect', ['inspect', 'big.epack']],
    ['list', ['list', 'artifacts', 'big.epack']],
    ['extract', ['extract', 'big.epack', '--all', '-o', 'out-extract']],
    ['diff', ['diff', 'small.epack', 'big.epack']],
    ['merge', ['merge', 'merged.epack', 'small.epack', 'big.epack', '--stream', 'acme/all']],
    ['build', ['build', 'rebuilt.epack', 'big.bin', '--stream', 'acme/big']],
    ['push', ['push', 'oci:./store:v2', 'big.epack']],
    ['pull', ['pull', 'oci:./store:v1', '-o', 'pulled.epack']],
  ])('%s honours --max-artifact-size and writes nothing', async (_name, args) => {
    limitError(await epack([...args, ...SMALL]), 'artifact_too_large', '--max-artifact-size');
    for (const f of ['out-extract', 'merged.epack', 'rebuilt.epack', 'pulled.epack']) expect(existsSync(path.join(dir, f))).toBe(false);
  });

  it('--max-pack-size lowers and raises the pack budget (units: bytes, MiB, GiB, GB)', async () => {
    limitError(await epack(['build', 'b.epack', 'big.bin', '--stream', 's', '--max-pack-size', '10MiB', '--max-artifact-size', '1MiB']), 'artifact_too_large', '--max-artifact-size');
    const raised = await epack(['verify', 'big.epack', '--integrity-only', '--max-pack-size', '4GiB', '--max-artifact-size', '3GB', '--json']);
    expect(raised.code).toBe(0);
    expect(JSON.parse(raised.stdout)).toMatchObject({ ok: true, artifacts: 1 });
    const pulled = await epack(['pull', 'oci:./store:v1', '-o', 'raised.epack', '--max-pack-size', '4294967296']);
    expect(pulled.code).toBe(0);
    expect(existsSync(path.join(dir, 'raised.epack'))).toBe(true);
  });

  it.each([
    [['--max-pack-size', 'lots'], '--max-pack-size "lots" is not a size'],
    [['--max-pack-size', '0'], 'cannot be disabled'],
    [['--max-pack-size', '1MiB'], 'the minimum is'],
    [['--max-artifact-count', '5'], 'the minimum is'],
  ])('rejects %j with one invalid_limit line, exit 2', async (flags, message) => {
    const r = await epack(['inspect', 'small.epack', ...flags]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^epack: invalid_limit: /);
    expect(lines[0]).toContain(message);
  });
});
