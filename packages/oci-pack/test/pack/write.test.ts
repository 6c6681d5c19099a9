import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { EpackError } from '../../src/error.js';
import { openPack } from '../../src/pack/read.js';
import { rewritePackWithAttestation, writePack, type PackArtifactInput } from '../../src/pack/write.js';
import { SafeZip } from '../../src/pack/zip-read.js';
import { manifestFor } from './zip-craft.js';

const dir = mkdtempSync(path.join(tmpdir(), 'epack-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files = { 'artifacts/b.json': '{"b":2}', 'artifacts/a/x.txt': 'hello', 'artifacts/z.png': '\x89PNG....' };
const inputs = (over: Record<string, string> = {}): PackArtifactInput[] =>
  Object.entries({ ...files, ...over }).map(([p, data]) => ({ path: p, size: Buffer.byteLength(files[p as keyof typeof files] ?? data), open: async () => Readable.from([Buffer.from(data)]) }));

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'ok', (e: unknown) => (e instanceof EpackError ? e.code : String(e)));
}

describe('writePack', () => {
  it('writes a pack that reads back byte for byte, entries in deterministic order', async () => {
    const out = path.join(dir, 'p.epack');
    const manifestBytes = manifestFor(files);
    const res = await writePack(out, { manifestBytes, artifacts: inputs() }, { mtime: new Date('2024-01-02T03:04:05Z') });
    expect(res.artifacts).toBe(3);
    const zip = await SafeZip.open(out);
    expect([...zip.files.keys()]).toEqual(['manifest.json', 'artifacts/a/x.txt', 'artifacts/b.json', 'artifacts/z.png']);
    expect(zip.directories).toEqual(['artifacts/']);
    expect(zip.files.get('artifacts/z.png')!.compressionMethod).toBe(0); // already-compressed formats are stored
    expect(zip.files.get('artifacts/b.json')!.compressionMethod).toBe(8);
    await zip.close();
    const pack = await openPack(out);
    expect(Buffer.from(pack.manifestBytes).equals(manifestBytes)).toBe(true);
    await pack.close();
  });

  it('is deterministic regardless of the time zone and input order', async () => {
    const a = path.join(dir, 'd1.epack');
    const b = path.join(dir, 'd2.epack');
    const manifestBytes = manifestFor(files);
    await writePack(a, { manifestBytes, artifacts: inputs() });
    const tz = process.env['TZ'];
    process.env['TZ'] = 'Pacific/Chatham';
    try {
      await writePack(b, { manifestBytes, artifacts: inputs().reverse() });
    } finally {
      if (tz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = tz;
    }
    expect(createHash('sha256').update(readFileSync(a)).digest('hex')).toBe(createHash('sha256').update(readFileSync(b)).digest('hex'));
  });

  it('fails on a digest mismatch and leaves nothing behind', async () => {
    const out = path.join(dir, 'bad.epack');
    const before = readdirSync(dir).length;
    expect(await code(writePack(out, { manifestBytes: manifestFor(files), artifacts: inputs({ 'artifacts/b.json': '{"b":3}' }) }))).toBe('digest_mismatch');
    expect(readdirSync(dir).length).toBe(before);
  });

  it('keeps an existing file when the write fails', async () => {
    const out = path.join(dir, 'keep.epack');
    writeFileSync(out, 'old');
    const failing: PackArtifactInput[] = inputs().map((a) => (a.path === 'artifacts/b.json' ? { ...a, open: async () => Promise.reject(new Error('disk on fire')) } : a));
    expect(await code(writePack(out, { manifestBytes: manifestFor(files), artifacts: failing }))).toBe('zip_write_failed');
    expect(readFileSync(out, 'utf8')).toBe('old');
  });

  it('checks the artifact set against the manifest', async () => {
    const out = path.join(dir, 'set.epack');
    expect(await code(writePack(out, { manifestBytes: manifestFor(files), artifacts: inputs().slice(1) }))).toBe('missing_embedded_artifact');
    expect(await code(writePack(out, { manifestBytes: manifestFor({ 'artifacts/a/x.txt': 'hello' }), artifacts: inputs() }))).toBe('extra_artifact_not_in_manifest');
    expect(await code(writePack(out, { manifestBytes: manifestFor(files), artifacts: inputs(), attestations: [{ path: 'attestations/x.json', bytes: Buffer.from('{}') }] }))).toBe('invalid_attestation_filename');
  });

  it('stores an entry that would deflate beyond the ratio other readers accept', async () => {
    const spaces = ' '.repeat(200_000);
    const out = path.join(dir, 'ratio.epack');
    const arts = { 'artifacts/blank.txt': spaces };
    await writePack(out, { manifestBytes: manifestFor(arts), artifacts: [{ path: 'artifacts/blank.txt', size: spaces.length, open: async () => Readable.from([Buffer.from(spaces)]) }] });
    const zip = await SafeZip.open(out);
    expect(zip.files.get('artifacts/blank.txt')!.compressionMethod).toBe(0);
    await zip.close();
  });

  it('opens every artifact once, also when an entry must be stored after all', async () => {
    const zeros = Buffer.alloc(300_000);
    const arts = { ...files, 'artifacts/zeros.bin': zeros };
    const opened = new Map<string, number>();
    const artifacts: PackArtifactInput[] = Object.entries(arts).map(([p, data]) => ({
      path: p,
      size: Buffer.byteLength(data),
      open: async () => {
        opened.set(p, (opened.get(p) ?? 0) + 1);
        return Readable.from([Buffer.from(data)]);
      },
    }));
    const out = path.join(dir, 'once.epack');
    const attestations = [{ path: 'attestations/k.sigstore.json', bytes: Buffer.from('{"k":1}') }];
    await writePack(out, { manifestBytes: manifestFor(arts), artifacts, attestations }, { mtime: new Date('2024-01-02T03:04:05Z') });
    expect(Object.fromEntries(opened)).toEqual(Object.fromEntries(Object.keys(arts).map((p) => [p, 1])));
    // the bytes the two-pass writer produced when it opened every artifact again
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe('21cf4ee2928ca30802d496f5098d2c23a6d1ede975232c8142545767315d385c');
    const zip = await SafeZip.open(out);
    expect(zip.files.get('artifacts/zeros.bin')!.compressionMethod).toBe(0);
    expect(zip.files.get('artifacts/b.json')!.compressionMethod).toBe(8);
    await zip.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('stores an artifact whose content sample does not compress, deterministically, opening each input once', async () => {
    const random = randomBytes(1024 * 1024);
    const json = Buffer.from(JSON.stringify(Array.from({ length: 20_000 }, (_, i) => ({ id: i, name: `item-${i}`, ok: i % 3 === 0 }))).slice(0, 1024 * 1024));
    const arts: Record<string, Buffer> = { 'artifacts/random.bin': random, 'artifacts/data.json': json };
    const opened = new Map<string, number>();
    // chunked input, so the 64 KiB sample spans several reads
    const chunks = (data: Buffer): Buffer[] => Array.from({ length: Math.ceil(data.length / 10_000) }, (_, i) => data.subarray(i * 10_000, (i + 1) * 10_000));
    const artifacts = (): PackArtifactInput[] =>
      Object.entries(arts).map(([p, data]) => ({
        path: p,
        size: data.length,
        open: async () => {
          opened.set(p, (opened.get(p) ?? 0) + 1);
          return Readable.from(chunks(data));
        },
      }));
    const a = path.join(dir, 'sample1.epack');
    const b = path.join(dir, 'sample2.epack');
    await writePack(a, { manifestBytes: manifestFor(arts), artifacts: artifacts() });
    expect(Object.fromEntries(opened)).toEqual({ 'artifacts/random.bin': 1, 'artifacts/data.json': 1 });
    await writePack(b, { manifestBytes: manifestFor(arts), artifacts: artifacts().reverse() });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    const zip = await SafeZip.open(a);
    expect(zip.files.get('artifacts/random.bin')!.compressionMethod).toBe(0);
    expect(zip.files.get('artifacts/data.json')!.compressionMethod).toBe(8);
    await zip.close();
    const pack = await openPack(a);
    for (const [p, data] of Object.entries(arts)) {
      const got: Buffer[] = [];
      for await (const c of await pack.openArtifact(p)) got.push(c as Buffer);
      expect(Buffer.concat(got).equals(data)).toBe(true);
    }
    await pack.close();
  });

  it('adds an attestation without touching manifest.json or artifacts', async () => {
    const out = path.join(dir, 'sign.epack');
    const manifestBytes = manifestFor(files);
    await writePack(out, { manifestBytes, artifacts: inputs() });
    await rewritePackWithAttestation(out, 'k1.sigstore.json', Buffer.from('{"x":1}'));
    await rewritePackWithAttestation(out, 'attestations/k0.sigstore.json', Buffer.from('{"x":0}'));
    await rewritePackWithAttestation(out, 'k1.sigstore.json', Buffer.from('{"x":2}'));
    const pack = await openPack(out);
    expect(Buffer.from(pack.manifestBytes).equals(manifestBytes)).toBe(true);
    expect(pack.attestations).toEqual(['attestations/k0.sigstore.json', 'attestations/k1.sigstore.json']);
    expect(Buffer.from(await pack.readAttestation('attestations/k1.sigstore.json')).toString()).toBe('{"x":2}');
    await pack.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
