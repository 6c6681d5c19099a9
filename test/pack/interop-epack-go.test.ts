/**
 * Interop with the Go reference implementation (epack v0.1.34): packs we
 * build and merge verify there with the same pack_digest; packs it builds
 * and merges verify here; both reject the same tampering.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPack } from '../../packages/oci-pack/src/pack/build.js';
import { mergePacks } from '../../packages/oci-pack/src/pack/merge.js';
import { openPack, verifyPackIntegrity } from '../../packages/oci-pack/src/pack/read.js';
import { EpackError } from '../../packages/oci-pack/src/error.js';
import { runTool } from '../harness/cli.js';
import { requireTool, sharedPath } from '../harness/tools.js';

const goEpack = requireTool('epack-go', 'epack-go interop');
const samples = sharedPath('samples', 'real-world');
const dir = mkdtempSync(path.join(tmpdir(), 'epack-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SAMPLE_FILES = ['trivy-alpine-310.sarif', 'bitnami-postgresql-17.2.0.spdx.json', 'dorny-jest.junit.xml', 'dorny-mocha-groups.png', 'go-licenses-complex.csv'];

async function go(args: string[]): Promise<{ code: number; out: string }> {
  const r = await runTool('epack-go', args, { cwd: dir });
  return { code: r.code, out: r.stdout + r.stderr };
}

async function goDigest(pack: string): Promise<string> {
  const r = await go(['inspect', '--digest', pack]);
  expect(r.code).toBe(0);
  return r.out.trim();
}

describe.runIf(goEpack && samples)('interop with epack-go', () => {
  const input = path.join(dir, 'in');
  mkdirSync(input, { recursive: true });
  if (samples) for (const f of SAMPLE_FILES) copyFileSync(path.join(samples, f), path.join(input, f));

  it('packs we build verify in epack-go with the same pack_digest', async () => {
    const out = path.join(dir, 'ours.epack');
    const built = await buildPack({ out, cwd: dir, inputs: ['in'], stream: 'acme/prod', sources: ['trivy@0.58.1'] });
    const r = await go(['verify', '--integrity-only', out]);
    expect(r.out).toContain('Verification passed');
    expect(r.code).toBe(0);
    expect(await goDigest(out)).toBe(built.packDigest);
  });

  it('packs epack-go builds verify here with the same pack_digest', async () => {
    const out = path.join(dir, 'theirs.epack');
    const args = ['build', out, '--stream', 'go/prod', '--source', 'collector:1.0', ...SAMPLE_FILES.map((f) => path.join('in', f))];
    expect((await go(args)).code).toBe(0);
    const summary = await verifyPackIntegrity(out);
    expect(summary.artifacts).toBe(SAMPLE_FILES.length);
    expect(summary.packDigest).toBe(await goDigest(out));
  });

  it('merges interoperate in both directions', async () => {
    const a = path.join(dir, 'a.epack');
    const b = path.join(dir, 'b.epack');
    expect((await go(['build', a, '--stream', 'org/a', path.join('in', SAMPLE_FILES[0]!)])).code).toBe(0);
    await buildPack({ out: b, cwd: dir, inputs: [path.join('in', SAMPLE_FILES[1]!)], stream: 'org/b' });

    const goMerged = path.join(dir, 'go-merged.epack');
    expect((await go(['merge', goMerged, a, b, '--stream', 'org/all'])).code).toBe(0);
    const pack = await openPack(goMerged);
    expect(pack.artifacts.map((x) => x.path).sort()).toEqual([`artifacts/org/a/${SAMPLE_FILES[0]}`, `artifacts/org/b/${SAMPLE_FILES[1]}`]);
    expect(pack.manifest.provenance?.['type']).toBe('merged');
    await pack.close();
    await verifyPackIntegrity(goMerged);

    const ourMerged = path.join(dir, 'our-merged.epack');
    const merged = await mergePacks(ourMerged, [a, b], { stream: 'org/all' });
    const r = await go(['verify', '--integrity-only', ourMerged]);
    expect(r.code).toBe(0);
    expect(await goDigest(ourMerged)).toBe(merged.packDigest);
  });

  it('both reject the same tampering', async () => {
    const out = path.join(dir, 'tamper.epack');
    await buildPack({ out, cwd: dir, inputs: [path.join('in', 'dorny-mocha-groups.png')], stream: 's', force: true });
    // flip one byte inside the stored PNG (stored entries keep their bytes as they are)
    const bytes = readFileSync(out);
    const at = bytes.indexOf(Buffer.from('IDAT')) + 100;
    expect(at).toBeGreaterThan(100);
    bytes[at] = bytes[at]! ^ 0x20;
    const bad = path.join(dir, 'tampered.epack');
    writeFileSync(bad, bytes);
    const err = await verifyPackIntegrity(bad).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EpackError);
    expect((await go(['verify', '--integrity-only', bad])).code).not.toBe(0);
  });
});
