/**
 * Crafted packs through the CLI (the library cases live in
 * packages/oci-pack/test/pack/zip-read.test.ts): `verify --integrity-only`,
 * `inspect` and `extract` reject each with its stable code in one line, and
 * `extract` never writes outside its output directory (the parent directory
 * is compared before and after).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, runEpack, type RunResult, type Sandbox } from '../harness/cli.js';
import { craftZip, manifestFor, packEntries, type CraftEntry } from '../../packages/oci-pack/test/pack/zip-craft.js';
import { snapshotTree } from './helpers.js';

const good = { 'artifacts/a.json': '{"a":1}' };
const base = (): CraftEntry[] => packEntries(good);
const escapeName = `epack-escape-${process.pid}-${Date.now()}`;

/** A pack whose manifest is `text` (not re-serialized) and whose artifacts are `good`. */
function withManifestText(text: string): CraftEntry[] {
  return [{ name: 'manifest.json', data: text }, { name: 'artifacts/' }, ...Object.entries(good).map(([name, data]) => ({ name, data }))];
}

/** Manifest text with one artifact listed under `listed`, for entries the manifest names too. */
function listing(listed: string, data: string | Buffer = 'x'): Buffer {
  return manifestFor({ ...good, [listed]: data });
}

function patchEocd(zip: Buffer, patch: (eocd: Buffer) => void): Buffer {
  const out = Buffer.from(zip);
  patch(out.subarray(out.length - 22));
  return out;
}

const manifestJson = manifestFor(good).toString('utf8');

interface Case {
  name: string;
  zip: () => Buffer;
  /** Codes the first line may show (the error code or its spec reason). */
  codes: RegExp;
  /** Exit code (2 malformed input, 1 verification failed). */
  exit: number;
  /** `inspect` reads only the manifest: content-level damage passes it. */
  inspectPasses?: boolean;
}

const cases: Case[] = [
  { name: 'traversal (artifacts/../../)', zip: () => craftZip([{ name: 'manifest.json', data: listing(`artifacts/../../${escapeName}`) }, { name: 'artifacts/' }, { name: 'artifacts/a.json', data: good['artifacts/a.json'] }, { name: `artifacts/../../${escapeName}`, data: 'x' }]), codes: /path_traversal|invalid_path/, exit: 2 },
  { name: 'absolute path', zip: () => craftZip([{ name: 'manifest.json', data: listing(`/tmp/${escapeName}`) }, { name: 'artifacts/' }, { name: 'artifacts/a.json', data: good['artifacts/a.json'] }, { name: `/tmp/${escapeName}`, data: 'x' }]), codes: /invalid_path|path_traversal/, exit: 2 },
  { name: 'symlink', zip: () => craftZip([...base(), { name: 'artifacts/link', data: '/etc/passwd', unixMode: 0o120777 }]), codes: /symlink|invalid_entry_type|non_regular_file/, exit: 2 },
  { name: 'symlink listed in the manifest', zip: () => craftZip([{ name: 'manifest.json', data: listing('artifacts/link', '/etc/passwd') }, { name: 'artifacts/' }, { name: 'artifacts/a.json', data: good['artifacts/a.json'] }, { name: 'artifacts/link', data: '/etc/passwd', unixMode: 0o120777 }]), codes: /symlink|invalid_entry_type|non_regular_file/, exit: 2 },
  // ZIP has no hard links: the same effect is two entries pointing at one local record.
  { name: 'hard link (two names, one record)', zip: () => craftZip([{ name: 'manifest.json', data: listing('artifacts/b.json', good['artifacts/a.json']) }, { name: 'artifacts/' }, { name: 'artifacts/a.json', data: good['artifacts/a.json'] }, { name: 'artifacts/b.json', data: good['artifacts/a.json'], shareDataWith: 2 }]), codes: /overlapping_entries/, exit: 2 },
  { name: 'duplicate entry', zip: () => craftZip([...base(), { name: 'artifacts/a.json', data: '{"a":2}' }]), codes: /duplicate_path|duplicate_entry/, exit: 2 },
  { name: 'case-colliding entries', zip: () => craftZip([{ name: 'manifest.json', data: listing('artifacts/A.json', '{"a":1}') }, { name: 'artifacts/' }, { name: 'artifacts/a.json', data: good['artifacts/a.json'] }, { name: 'artifacts/A.json', data: '{"a":1}' }]), codes: /duplicate_path|case_collision/, exit: 2 },
  { name: 'NFD name', zip: () => craftZip([{ name: 'manifest.json', data: listing('artifacts/cafe\u0301.json') }, { name: 'artifacts/' }, { name: 'artifacts/a.json', data: good['artifacts/a.json'] }, { name: 'artifacts/cafe\u0301.json', data: 'x' }]), codes: /path_not_nfc/, exit: 2 },
  { name: 'reserved name', zip: () => craftZip([{ name: 'manifest.json', data: listing('artifacts/con.txt') }, { name: 'artifacts/' }, { name: 'artifacts/a.json', data: good['artifacts/a.json'] }, { name: 'artifacts/con.txt', data: 'x' }]), codes: /reserved_name|invalid_path/, exit: 2 },
  { name: 'bomb by ratio', zip: () => craftZip([{ name: 'manifest.json', data: listing('artifacts/zeros.bin', Buffer.alloc(20 * 1024 * 1024)) }, { name: 'artifacts/' }, { name: 'artifacts/a.json', data: good['artifacts/a.json'] }, { name: 'artifacts/zeros.bin', data: Buffer.alloc(20 * 1024 * 1024), method: 8 }]), codes: /compression_bomb|zip_bomb/, exit: 2 },
  {
    name: 'bomb by total size (declared sizes past the pack budget)',
    zip: () => {
      const entries: CraftEntry[] = [...base()];
      for (let i = 0; i < 24; i++) entries.push({ name: `artifacts/big-${i}.bin`, data: randomBytes(256 * 1024), method: 8, uncompressedSize: 99 * 1024 * 1024 });
      return craftZip(entries);
    },
    codes: /pack_too_large|compression_bomb|zip_bomb|entry_size_mismatch|artifact_too_large/,
    exit: 2,
  },
  { name: 'ZIP64: saturated offset without a ZIP64 record', zip: () => patchEocd(craftZip(base()), (e) => e.writeUInt32LE(0xffffffff, 16)), codes: /invalid_zip64|invalid_zip_format/, exit: 2 },
  { name: 'ZIP64: saturated entry count without a ZIP64 record', zip: () => patchEocd(craftZip(base()), (e) => { e.writeUInt16LE(0xffff, 8); e.writeUInt16LE(0xffff, 10); }), codes: /invalid_zip64|invalid_zip_format/, exit: 2 },
  { name: 'EOCD count hides an entry', zip: () => patchEocd(craftZip([...base(), { name: 'artifacts/hidden.json', data: '{}' }]), (e) => { e.writeUInt16LE(2, 8); e.writeUInt16LE(2, 10); }), codes: /invalid_zip_format/, exit: 2 },
  { name: 'overlapping entries', zip: () => craftZip([...base(), { name: 'artifacts/b.json', data: good['artifacts/a.json'], shareDataWith: 0 }]), codes: /overlapping_entries/, exit: 2 },
  { name: 'manifest with duplicate keys', zip: () => craftZip(withManifestText(manifestJson.replace('"spec_version":"1.0"', '"spec_version":"1.0","spec_version":"1.0"'))), codes: /duplicate_keys/, exit: 2 },
  { name: 'manifest with a nested duplicate key', zip: () => craftZip(withManifestText(manifestJson.replace('"type":"embedded"', '"type":"embedded","type":"embedded"'))), codes: /duplicate_keys/, exit: 2 },
  { name: 'manifest with an unknown field', zip: () => craftZip(withManifestText(manifestJson.replace('"sources":[]', '"sources":[],"x_extra":true'))), codes: /unknown_field|invalid_manifest/, exit: 2 },
  { name: 'manifest with an unknown artifact field', zip: () => craftZip(withManifestText(manifestJson.replace('"type":"embedded"', '"type":"embedded","exec":"rm -rf /"'))), codes: /unknown_field|invalid_manifest/, exit: 2 },
  { name: 'tampered artifact bytes (same size)', zip: () => craftZip([{ name: 'manifest.json', data: manifestFor(good) }, { name: 'artifacts/' }, { name: 'artifacts/a.json', data: '{"a":9}' }]), codes: /digest_mismatch/, exit: 1, inspectPasses: true },
  { name: 'tampered pack_digest', zip: () => craftZip(withManifestText(manifestJson.replace(/"pack_digest":"sha256:[0-9a-f]{8}/, '"pack_digest":"sha256:00000000'))), codes: /pack_digest_mismatch/, exit: 1 },
];

let sandbox: Sandbox;
let packsDir: string;

beforeAll(() => {
  sandbox = createSandbox();
  packsDir = mkdtempSync(path.join(tmpdir(), 'epack-hostile-packs-'));
});
afterAll(() => sandbox?.dispose());

function firstLine(r: RunResult): string {
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stdout).toBe('');
  return lines[0]!;
}

describe('hostile packs through the CLI', () => {
  it.each(cases)('$name', async (c) => {
    const file = path.join(packsDir, `${c.name.replace(/[^a-z0-9]+/gi, '-')}.epack`);
    writeFileSync(file, c.zip());
    const expected = new RegExp(`^epack: (?:${c.codes.source}): \\S`);

    const verify = await runEpack(['verify', '--integrity-only', file], { sandbox });
    expect(firstLine(verify), verify.stderr).toMatch(expected);
    expect(verify.code).toBe(c.exit);

    const inspect = await runEpack(['inspect', file], { sandbox });
    if (c.inspectPasses) expect(inspect.code, inspect.stderr).toBe(0);
    else {
      expect(firstLine(inspect)).toMatch(expected);
      expect(inspect.code).toBe(c.exit);
    }

    const parent = mkdtempSync(path.join(tmpdir(), 'epack-extract-parent-'));
    const out = path.join(parent, 'out');
    mkdirSync(out);
    writeFileSync(path.join(parent, 'sentinel.txt'), 'unchanged');
    const before = await snapshotTree(parent);
    const extract = await runEpack(['extract', file, '--all', '-o', out], { sandbox, cwd: out });
    expect(extract.code, extract.stderr).not.toBe(0);
    expect(firstLine(extract)).toMatch(expected);
    const after = await snapshotTree(parent);
    const outside = (m: Map<string, number>) => [...m].filter(([p]) => !p.startsWith('out/'));
    expect(outside(after)).toEqual(outside(before));
    expect(existsSync(`/tmp/${escapeName}`)).toBe(false);
    expect(existsSync(path.join(tmpdir(), escapeName))).toBe(false);
    // Nothing half-extracted inside either.
    expect([...after.keys()].filter((p) => p.startsWith('out/') && !p.endsWith('/'))).toEqual([]);
  });

  it('the spec-valid control pack passes all three commands', async () => {
    const file = path.join(packsDir, 'good.epack');
    writeFileSync(file, craftZip(base()));
    expect((await runEpack(['verify', '--integrity-only', file], { sandbox })).code).toBe(0);
    expect((await runEpack(['inspect', file], { sandbox })).code).toBe(0);
    const out = mkdtempSync(path.join(tmpdir(), 'epack-extract-good-'));
    const r = await runEpack(['extract', file, '--all', '-o', out], { sandbox });
    expect(r.code, r.stderr).toBe(0);
    expect([...(await snapshotTree(out)).keys()]).toContain('artifacts/a.json');
  });
});
