/**
 * `epack build --report <dir>`: the report of the built pack is written
 * beside it, and the pack is the same bytes as without the flag.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runEpack } from '../harness/cli.js';
import { REPO_ROOT } from '../harness/tools.js';

const dir = mkdtempSync(path.join(tmpdir(), 'epack-build-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const evidence = path.join(REPO_ROOT, 'examples/demo-evidence');
const env = { SOURCE_DATE_EPOCH: '1790000000' };
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('epack build --report', () => {
  it('writes index.html of the built pack beside it, and the --json result names it', async () => {
    const r = await runEpack(['build', 'with.epack', evidence, '--stream', 'acme/demo', '--report', 'report', '--json'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { pack_digest: string; report: string; artifacts: { path: string }[] };
    expect(result.report).toBe(path.join(dir, 'report', 'index.html'));
    const html = readFileSync(result.report, 'utf8');
    expect(html).toContain(result.pack_digest);
    expect(html).toContain('artifacts/demo-evidence/sbom.cdx.json');
    expect(result.artifacts.map((a) => a.path)).not.toContain('artifacts/report/index.html');
  });

  it('leaves the pack identical to one built without --report', async () => {
    const r = await runEpack(['build', 'without.epack', evidence, '--stream', 'acme/demo'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(sha256(path.join(dir, 'without.epack'))).toBe(sha256(path.join(dir, 'with.epack')));
    expect(r.stdout).not.toContain('report');
  });

  it('fails with report_write_failed when the report folder is a file', async () => {
    writeFileSync(path.join(dir, 'a-file'), 'x');
    const r = await runEpack(['build', 'file-out.epack', evidence, '--stream', 'acme/demo', '--report', 'a-file'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('report_write_failed');
    expect(existsSync(path.join(dir, 'file-out.epack'))).toBe(true);
  });
});
