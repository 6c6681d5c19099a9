/**
 * The pack commands as a new user meets them: the built CLI, real files,
 * mistakes included. Needs `pnpm build`.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rewritePackWithAttestation } from '../../packages/oci-pack/src/pack/write.js';
import { runEpack, type RunResult } from '../harness/cli.js';
import { sharedPath } from '../harness/tools.js';

const dir = mkdtempSync(path.join(tmpdir(), 'epack-cli-pack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const samples = sharedPath('samples', 'real-world');

const epack = (args: string[], env: Record<string, string> = {}): Promise<RunResult> => runEpack(args, { cwd: dir, env });

function oneErrorLine(r: RunResult, code: string): void {
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(code);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

function setup(): void {
  const mixed = path.join(dir, 'evidence');
  mkdirSync(path.join(mixed, 'scans'), { recursive: true });
  mkdirSync(path.join(dir, 'empty'), { recursive: true });
  if (samples) {
    copyFileSync(path.join(samples, 'trivy-alpine-310.sarif'), path.join(mixed, 'scans', 'trivy.sarif'));
    copyFileSync(path.join(samples, 'trivy-npm.cdx16.cdx.json'), path.join(mixed, 'sbom.cdx.json'));
    copyFileSync(path.join(samples, 'dorny-mocha-groups.png'), path.join(mixed, 'screenshot.png'));
    copyFileSync(path.join(samples, 'dorny-jest.junit.xml'), path.join(mixed, 'tests.xml'));
  }
  writeFileSync(path.join(mixed, 'README.md'), '# Evidence\n\n- scans\n');
  writeFileSync(path.join(mixed, 'posture.json'), '{"mfa":true}');
  writeFileSync(path.join(dir, 'notazip.epack'), 'hello, I am not a zip file\n');
}
setup();

describe.runIf(samples)('epack pack commands (CLI)', () => {
  it('builds a directory of mixed files, typed by content', async () => {
    const r = await epack(['build', 'mixed.epack', 'evidence', '--stream', 'acme/prod', '--source', 'trivy@0.58.1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('built mixed.epack (6 artifacts');
    const inspect = await epack(['inspect', 'mixed.epack', '--json']);
    expect(inspect.code).toBe(0);
    const info = JSON.parse(inspect.stdout) as { stream: string; counts: { artifacts: number }; artifacts: { path: string; content_type: string }[]; sources: unknown[] };
    expect(info.stream).toBe('acme/prod');
    expect(info.counts.artifacts).toBe(6);
    expect(Object.fromEntries(info.artifacts.map((a) => [a.path, a.content_type]))).toEqual({
      'artifacts/evidence/README.md': 'text/markdown',
      'artifacts/evidence/posture.json': 'application/json',
      'artifacts/evidence/sbom.cdx.json': 'application/vnd.cyclonedx+json',
      'artifacts/evidence/scans/trivy.sarif': 'application/sarif+json',
      'artifacts/evidence/screenshot.png': 'image/png',
      'artifacts/evidence/tests.xml': 'application/junit+xml',
    });
    expect(info.sources).toEqual([{ name: 'trivy', version: '0.58.1' }]);
  });

  it('reads stdin and keeps inputs after repeatable flags', async () => {
    const r = await runEpack(['build', 'stdin.epack', '--stdin', 'piped/data.json', '--source', 'a@1', 'evidence/posture.json', '-f', 'evidence/README.md:docs/readme.md', '--stream', 's'], { cwd: dir, input: '{"piped":true}' });
    expect(r.code).toBe(0);
    const list = JSON.parse((await epack(['list', 'artifacts', 'stdin.epack', '--json'])).stdout) as { path: string }[];
    expect(list.map((a) => a.path)).toEqual(['artifacts/docs/readme.md', 'artifacts/piped/data.json', 'artifacts/posture.json']);
  });

  it('explains a typo\'d path in one line and writes nothing', async () => {
    const r = await epack(['build', 'typo.epack', 'evidnce', '--stream', 's']);
    expect(r.code).toBe(3);
    oneErrorLine(r, 'input_not_found');
    expect(r.stderr).toContain('did you mean evidence');
    expect(existsSync(path.join(dir, 'typo.epack'))).toBe(false);
  });

  it('rejects an empty directory and missing inputs with exit 2', async () => {
    const empty = await epack(['build', 'e.epack', 'empty', '--stream', 's']);
    expect(empty.code).toBe(2);
    oneErrorLine(empty, 'empty_directory');
    const none = await epack(['build', 'e.epack', '--stream', 's']);
    expect(none.code).toBe(2);
    oneErrorLine(none, 'no_inputs');
    const noStream = await epack(['build', 'e.epack', 'evidence']);
    expect(noStream.code).toBe(2);
    expect(readdirSync(dir).filter((f) => f.startsWith('e.epack') || f.startsWith('.e.epack'))).toEqual([]);
  });

  it('rejects a file that is not a pack with exit 2, a missing one with exit 3', async () => {
    const r = await epack(['inspect', 'notazip.epack']);
    expect(r.code).toBe(2);
    oneErrorLine(r, 'invalid_zip_format');
    const missing = await epack(['verify', 'nope.epack', '--integrity-only']);
    expect(missing.code).toBe(3);
    oneErrorLine(missing, 'file_not_found');
    const json = await epack(['inspect', 'notazip.epack', '--json']);
    expect(JSON.parse(json.stderr.trim()).error.code).toBe('invalid_zip_format');
  });

  it('is deterministic under SOURCE_DATE_EPOCH', async () => {
    const env = { SOURCE_DATE_EPOCH: '1767225600' };
    expect((await epack(['build', 'd1.epack', 'evidence', '--stream', 's'], env)).code).toBe(0);
    expect((await epack(['build', 'd2.epack', 'evidence', '--stream', 's'], env)).code).toBe(0);
    expect(readFileSync(path.join(dir, 'd1.epack')).equals(readFileSync(path.join(dir, 'd2.epack')))).toBe(true);
    const info = JSON.parse((await epack(['inspect', 'd1.epack', '--json'])).stdout) as { generated_at: string };
    expect(info.generated_at).toBe('2026-01-01T00:00:00Z');
  });

  it('lists, extracts, diffs and merges', async () => {
    const list = await epack(['list', 'artifacts', 'mixed.epack', '--json']);
    expect((JSON.parse(list.stdout) as unknown[]).length).toBe(6);
    expect((await epack(['list', 'sources', 'mixed.epack'])).stdout.trim()).toBe('trivy@0.58.1');
    expect((await epack(['list', 'attestations', 'mixed.epack'])).stdout.trim()).toBe('');

    expect((await epack(['extract', 'mixed.epack', '--all', '-o', 'out'])).code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/artifacts/evidence/posture.json'), 'utf8')).toBe('{"mfa":true}');
    const again = await epack(['extract', 'mixed.epack', 'evidence/posture.json', '-o', 'out']);
    expect(again.code).toBe(2);
    oneErrorLine(again, 'output_exists');
    expect((await epack(['extract', 'mixed.epack', 'evidence/posture.json', '-o', 'out', '--force'])).code).toBe(0);

    writeFileSync(path.join(dir, 'evidence', 'posture.json'), '{"mfa":false}');
    expect((await epack(['build', 'mixed2.epack', 'evidence', '--stream', 'acme/prod'])).code).toBe(0);
    const same = await epack(['diff', 'd1.epack', 'd2.epack', '--exit-code']);
    expect(same.code).toBe(0);
    const diff = await epack(['diff', 'mixed.epack', 'mixed2.epack', '--exit-code']);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('~ artifacts/evidence/posture.json');
    const diffJson = JSON.parse((await epack(['diff', 'mixed.epack', 'mixed2.epack', '--json'])).stdout) as { changed: { path: string }[]; sources: { removed: unknown[] } };
    expect(diffJson.changed.map((c) => c.path)).toEqual(['artifacts/evidence/posture.json']);
    expect(diffJson.sources.removed).toHaveLength(1);

    expect((await epack(['build', 'other.epack', 'evidence/README.md', '--stream', 'acme/docs'])).code).toBe(0);
    const merge = await epack(['merge', 'all.epack', 'mixed.epack', 'other.epack', '--stream', 'acme/all', '--json']);
    expect(merge.code).toBe(0);
    expect((JSON.parse(merge.stdout) as { artifacts: number }).artifacts).toBe(7);
    const dup = await epack(['merge', 'dup.epack', 'mixed.epack', 'mixed2.epack', '--stream', 'x']);
    expect(dup.code).toBe(2);
    oneErrorLine(dup, 'duplicate_stream');
  });

  it('verify: exit 1 on tampering; attestations need a policy or --integrity-only', async () => {
    const ok = await epack(['verify', 'mixed.epack']);
    expect(ok.code).toBe(0);
    const bytes = readFileSync(path.join(dir, 'mixed.epack'));
    const at = bytes.indexOf(Buffer.from('IDAT')) + 200;
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(path.join(dir, 'tampered.epack'), bytes);
    const bad = await epack(['verify', 'tampered.epack', '--integrity-only']);
    expect(bad.code).toBe(1);
    oneErrorLine(bad, 'artifacts/evidence/screenshot.png');
    expect(bad.stderr).toMatch(/crc_mismatch|digest_mismatch/);

    copyFileSync(path.join(dir, 'mixed.epack'), path.join(dir, 'signed.epack'));
    await rewritePackWithAttestation(path.join(dir, 'signed.epack'), 'k.sigstore.json', Buffer.from('{}'));
    const policy = await epack(['verify', 'signed.epack']);
    expect(policy.code).toBe(1);
    oneErrorLine(policy, 'policy_required');
    expect(policy.stderr).toContain('--integrity-only');
    expect((await epack(['verify', 'signed.epack', '--integrity-only'])).code).toBe(0);
  });
});
