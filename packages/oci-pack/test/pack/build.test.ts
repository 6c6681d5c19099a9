import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { EpackError } from '../../src/error.js';
import { buildPack, parseSource } from '../../src/pack/build.js';
import { openPack } from '../../src/pack/read.js';

const dir = mkdtempSync(path.join(tmpdir(), 'epack-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const src = path.join(dir, 'src');
mkdirSync(path.join(src, 'reports', 'nested'), { recursive: true });
mkdirSync(path.join(src, 'empty'));
writeFileSync(path.join(src, 'reports', 'scan.sarif'), JSON.stringify({ version: '2.1.0', runs: [] }));
writeFileSync(path.join(src, 'reports', 'nested', 'sbom.json'), JSON.stringify({ spdxVersion: 'SPDX-2.3' }));
writeFileSync(path.join(src, 'reports', '.DS_Store'), 'junk');
writeFileSync(path.join(src, 'notes.md'), '# Notes\n');

async function failure(p: Promise<unknown>): Promise<EpackError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(EpackError);
  return err as EpackError;
}

describe('buildPack', () => {
  it('packs files, directories (sub-paths kept), globs and stdin', async () => {
    const out = path.join(dir, 'a.epack');
    const res = await buildPack({
      out,
      cwd: src,
      inputs: ['notes.md', 'reports'],
      mappings: ['-:stdin/data.json', 'notes.md:docs/readme.md'],
      stdin: Readable.from([Buffer.from('{"from":"stdin"}')]),
      stream: 'acme/prod',
      sources: ['trivy@0.58.1', 'manual'],
      contentTypes: ['docs/readme.md=text/plain'],
      generatedAt: '2026-01-20T12:00:00Z',
    });
    expect(res.artifactList.map((a) => a.path)).toEqual([
      'artifacts/docs/readme.md',
      'artifacts/notes.md',
      'artifacts/reports/nested/sbom.json',
      'artifacts/reports/scan.sarif',
      'artifacts/stdin/data.json',
    ]);
    const pack = await openPack(out);
    expect(pack.manifest.sources).toEqual([{ name: 'trivy', version: '0.58.1' }, { name: 'manual' }]);
    expect(pack.manifest.generated_at).toBe('2026-01-20T12:00:00Z');
    const types = Object.fromEntries(pack.artifacts.map((a) => [a.path, a.content_type]));
    expect(types).toEqual({
      'artifacts/docs/readme.md': 'text/plain',
      'artifacts/notes.md': 'text/markdown',
      'artifacts/reports/nested/sbom.json': 'application/spdx+json',
      'artifacts/reports/scan.sarif': 'application/sarif+json',
      'artifacts/stdin/data.json': 'application/json',
    });
    await pack.close();
  });

  it('expands quoted globs relative to their fixed prefix', async () => {
    const res = await buildPack({ out: path.join(dir, 'g.epack'), cwd: src, inputs: ['reports/**/*.json'], stream: 's' });
    expect(res.artifactList.map((a) => a.path)).toEqual(['artifacts/nested/sbom.json']);
  });

  it('is deterministic with SOURCE_DATE_EPOCH', async () => {
    const prev = process.env['SOURCE_DATE_EPOCH'];
    process.env['SOURCE_DATE_EPOCH'] = '1700000000';
    try {
      const a = await buildPack({ out: path.join(dir, 'd1.epack'), cwd: src, inputs: ['reports', 'notes.md'], stream: 's' });
      const b = await buildPack({ out: path.join(dir, 'd2.epack'), cwd: src, inputs: ['notes.md', 'reports'], stream: 's' });
      expect(a.generatedAt).toBe('2023-11-14T22:13:20Z');
      expect(readFileSync(path.join(dir, 'd1.epack')).equals(readFileSync(path.join(dir, 'd2.epack')))).toBe(true);
      expect(a.manifestDigest).toBe(b.manifestDigest);
    } finally {
      if (prev === undefined) delete process.env['SOURCE_DATE_EPOCH'];
      else process.env['SOURCE_DATE_EPOCH'] = prev;
    }
  });

  it('gives helpful errors and leaves no file behind', async () => {
    const out = path.join(dir, 'err.epack');
    const before = readdirSync(dir).sort();
    const typo = await failure(buildPack({ out, cwd: src, inputs: ['report'], stream: 's' }));
    expect(typo.code).toBe('input_not_found');
    expect(typo.kind).toBe('not_found');
    expect(typo.hint).toContain('reports');
    expect((await failure(buildPack({ out, cwd: src, inputs: ['empty'], stream: 's' }))).code).toBe('empty_directory');
    expect((await failure(buildPack({ out, cwd: src, inputs: [], stream: 's' }))).code).toBe('no_inputs');
    expect((await failure(buildPack({ out, cwd: src, inputs: ['-'], stream: 's' }))).code).toBe('stdin_needs_name');
    expect((await failure(buildPack({ out, cwd: src, inputs: ['nope/*.json'], stream: 's' }))).code).toBe('glob_no_match');
    expect((await failure(buildPack({ out, cwd: src, inputs: ['notes.md'], mappings: ['notes.md:notes.md'], stream: 's' }))).code).toBe('duplicate_path');
    expect((await failure(buildPack({ out, cwd: src, inputs: ['notes.md'], mappings: ['notes.md:con.txt'], stream: 's' }))).code).toBe('reserved_name');
    expect((await failure(buildPack({ out, cwd: src, inputs: ['notes.md'], contentTypes: ['x.md=text/plain'], stream: 's' }))).code).toBe('unknown_artifact');
    expect((await failure(buildPack({ out, cwd: src, inputs: ['notes.md'], stream: '' }))).code).toBe('missing_stream');
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('refuses to overwrite without force', async () => {
    const out = path.join(dir, 'exists.epack');
    writeFileSync(out, 'x');
    expect((await failure(buildPack({ out, cwd: src, inputs: ['notes.md'], stream: 's' }))).code).toBe('output_exists');
    await buildPack({ out, cwd: src, inputs: ['notes.md'], stream: 's', force: true });
    expect(readFileSync(out).subarray(0, 2).toString()).toBe('PK');
  });

  it('applies a bare --content-type to every artifact without its own', async () => {
    const res = await buildPack({ out: path.join(dir, 'ct.epack'), cwd: src, inputs: ['notes.md', 'reports'], contentTypes: ['application/x-evidence', 'notes.md=text/plain'], stream: 's' });
    expect(Object.fromEntries(res.artifactList.map((a) => [a.path, a.content_type]))).toEqual({
      'artifacts/notes.md': 'text/plain',
      'artifacts/reports/nested/sbom.json': 'application/x-evidence',
      'artifacts/reports/scan.sarif': 'application/x-evidence',
    });
  });

  it('parses sources', () => {
    expect(parseSource('@scope/tool@1.2.3')).toEqual({ name: '@scope/tool', version: '1.2.3' });
    expect(parseSource('manual')).toEqual({ name: 'manual' });
    expect(() => parseSource('x@')).toThrow(EpackError);
  });
});
