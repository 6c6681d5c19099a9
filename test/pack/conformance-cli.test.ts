/**
 * `epack conformance` as users run it: the built CLI over the spec's vectors.
 * Needs `pnpm build` first (CI builds before testing).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EPACK_BIN, runEpack } from '../harness/cli.js';
import { REPO_ROOT, sharedPath } from '../harness/tools.js';

const vectors = sharedPath('evidence-pack', 'test-vectors');
const scratch = mkdtempSync(path.join(tmpdir(), 'epack-conformance-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Line {
  vector: string;
  case: string;
  valid: boolean;
  result: { ok: boolean; errors: { code: string }[]; computed: Record<string, unknown> };
  pass: boolean;
}

it('the CLI is built', () => {
  expect(existsSync(path.join(REPO_ROOT, 'packages/cli/dist/main.js')), 'run pnpm build first').toBe(true);
  expect(existsSync(EPACK_BIN)).toBe(true);
});

describe.skipIf(!vectors)('epack conformance over the spec vectors', () => {
  it('--json prints one runner-spec object per case and exits 0', async () => {
    const r = await runEpack(['conformance', vectors as string, '--json']);
    expect(r.stderr).toMatch(/epack conformance: (\d+)\/\1 cases passed .*test vectors 1\.0, spec 1\.0/);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
    expect(lines.length).toBeGreaterThanOrEqual(380);
    for (const line of lines) {
      expect(typeof line.vector).toBe('string');
      expect(typeof line.case).toBe('string');
      expect(typeof line.valid).toBe('boolean');
      expect(typeof line.result.ok).toBe('boolean');
      expect(Array.isArray(line.result.errors)).toBe(true);
      expect(line.pass).toBe(true);
      if (!line.result.ok) expect(line.result.errors.length).toBeGreaterThan(0);
    }
    const digest = lines.find((l) => l.vector === 'pack-digest/single-artifact.json');
    expect(digest?.result.computed['pack_digest']).toBe('sha256:3af35ccc5210c4cb2cdc29a4f45ee29dc64d1ad5cb3d1c3ae1290d4fb4224e94');
    const nfd = lines.find((l) => l.vector === 'path-validation/normalization.json' && !l.valid);
    expect(nfd?.result.errors[0]?.code).toBe('path_not_nfc');
  });

  it('text mode prints a summary with the vectors version', async () => {
    const r = await runEpack(['conformance', vectors as string, '--filter', 'jcs/']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^WAIVED jcs\/number-normalization\.json#invalid_numbers\/1\.2e3: /m);
    expect(r.stdout).toMatch(/epack conformance: \d+\/\d+ cases passed \(1 waived: vectors that contradict the spec\) — test vectors 1\.0, spec 1\.0/);
  });
});

describe('epack conformance failures', () => {
  it('exits 1 and names the failing case when a vector fails', async () => {
    const dir = path.join(scratch, 'failing');
    mkdirSync(path.join(dir, 'path-validation'), { recursive: true });
    writeFileSync(path.join(dir, 'path-validation/valid-paths.json'), JSON.stringify({ name: 'v', tests: [{ path: 'artifacts/con', valid: true }, { path: 'artifacts/ok', valid: true }] }));
    const text = await runEpack(['conformance', dir]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('FAIL path-validation/valid-paths.json#artifacts/con: rejected (reserved_name) but the vector is valid');
    expect(text.stdout).toContain('epack conformance: 1/2 cases passed');
    const json = await runEpack(['conformance', dir, '--json']);
    expect(json.code).toBe(1);
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
    expect(lines.map((l) => l.pass)).toEqual([false, true]);
  });

  it('exits 3 for a missing directory and 2 for a missing argument', async () => {
    const missing = await runEpack(['conformance', path.join(scratch, 'nope')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('vectors_not_found');
    const usage = await runEpack(['conformance']);
    expect(usage.code).toBe(2);
  });
});
