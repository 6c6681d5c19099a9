import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EpackError } from '../../src/error.js';
import { extractPack } from '../../src/pack/extract.js';
import { openPack, type PackFile } from '../../src/pack/read.js';
import { craftZip, manifestFor, packEntries } from './zip-craft.js';

const dir = mkdtempSync(path.join(tmpdir(), 'epack-extract-'));
const files = { 'artifacts/a.json': '{"a":1}', 'artifacts/sub/b.txt': 'bee' };
let pack: PackFile;
beforeAll(async () => {
  writeFileSync(path.join(dir, 'p.epack'), craftZip(packEntries(files)));
  pack = await openPack(path.join(dir, 'p.epack'));
});
afterAll(async () => {
  await pack.close();
  rmSync(dir, { recursive: true, force: true });
});

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'ok', (e: unknown) => (e instanceof EpackError ? e.code : String(e)));
}

describe('extractPack', () => {
  it('extracts all artifacts under outDir, keeping artifacts/ paths', async () => {
    const out = path.join(dir, 'all');
    const done = await extractPack(pack, { all: true, outDir: out });
    expect(done.map((d) => d.path)).toEqual(['artifacts/a.json', 'artifacts/sub/b.txt']);
    expect(readFileSync(path.join(out, 'artifacts/sub/b.txt'), 'utf8')).toBe('bee');
  });

  it('extracts named artifacts, with or without the artifacts/ prefix', async () => {
    const out = path.join(dir, 'one');
    await extractPack(pack, { paths: ['sub/b.txt'], outDir: out });
    expect(readdirSync(path.join(out, 'artifacts'))).toEqual(['sub']);
    expect(await code(extractPack(pack, { paths: ['nope.json'], outDir: out }))).toBe('artifact_not_found');
    expect(await code(extractPack(pack, { outDir: out }))).toBe('nothing_to_extract');
  });

  it('refuses to overwrite without force', async () => {
    const out = path.join(dir, 'force');
    mkdirSync(path.join(out, 'artifacts'), { recursive: true });
    writeFileSync(path.join(out, 'artifacts/a.json'), 'mine');
    expect(await code(extractPack(pack, { all: true, outDir: out }))).toBe('output_exists');
    expect(readFileSync(path.join(out, 'artifacts/a.json'), 'utf8')).toBe('mine');
    expect(existsSync(path.join(out, 'artifacts/sub/b.txt'))).toBe(false); // checked before writing anything
    await extractPack(pack, { all: true, outDir: out, force: true });
    expect(readFileSync(path.join(out, 'artifacts/a.json'), 'utf8')).toBe('{"a":1}');
  });

  it('never writes through a symlink out of outDir', async () => {
    const out = path.join(dir, 'link');
    const elsewhere = path.join(dir, 'elsewhere');
    mkdirSync(out);
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, path.join(out, 'artifacts'));
    expect(await code(extractPack(pack, { all: true, outDir: out }))).toBe('unsafe_output_path');
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('verifies the digest before the final rename', async () => {
    // the zip entry's bytes differ from the manifest's digest (same size)
    const bad = path.join(dir, 'tampered.epack');
    writeFileSync(bad, craftZip([{ name: 'manifest.json', data: manifestFor({ 'artifacts/a.json': '{"a":1}' }) }, { name: 'artifacts/a.json', data: '{"a":2}' }]));
    const tampered = await openPack(bad);
    const out = path.join(dir, 'tampered');
    expect(await code(extractPack(tampered, { all: true, outDir: out }))).toBe('digest_mismatch');
    expect(readdirSync(path.join(out, 'artifacts'))).toEqual([]);
    await tampered.close();
  });
});
