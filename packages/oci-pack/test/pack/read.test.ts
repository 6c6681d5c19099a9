import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { EpackError } from '../../src/error.js';
import { computePackDigest } from '../../src/pack/digest.js';
import { serializeManifest } from '../../src/pack/manifest.js';
import { openPack, verifyPackIntegrity } from '../../src/pack/read.js';
import { writePack } from '../../src/pack/write.js';
import { craftZip, manifestFor, packEntries } from './zip-craft.js';

const dir = mkdtempSync(path.join(tmpdir(), 'epack-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;
const block = randomBytes(MiB);

/** `blocks` copies of one random MiB: incompressible for deflate, cheap to make. */
function repeated(blocks: number): () => Promise<Readable> {
  return async () =>
    Readable.from(
      (function* () {
        for (let i = 0; i < blocks; i++) yield block;
      })(),
    );
}

function digestOfRepeated(blocks: number): string {
  const h = createHash('sha256');
  for (let i = 0; i < blocks; i++) h.update(block);
  return 'sha256:' + h.digest('hex');
}

async function bigPack(name: string, blocksPerArtifact: number[]): Promise<string> {
  const artifacts = blocksPerArtifact.map((blocks, i) => ({
    type: 'embedded' as const,
    path: `artifacts/part-${i}.gz`,
    digest: digestOfRepeated(blocks),
    size: blocks * MiB,
    content_type: 'application/gzip',
  }));
  const manifestBytes = serializeManifest({
    spec_version: '1.0',
    stream: 'test/big',
    generated_at: '2026-01-01T00:00:00Z',
    pack_digest: computePackDigest(artifacts),
    sources: [],
    artifacts,
  });
  const out = path.join(dir, name);
  const limits = { maxArtifactSize: 8 * 1024 * MiB, maxPackSize: 16 * 1024 * MiB };
  await writePack(out, { manifestBytes, artifacts: artifacts.map((a, i) => ({ path: a.path, size: a.size, open: repeated(blocksPerArtifact[i]!) })) }, { limits });
  return out;
}

async function failure(p: Promise<unknown>): Promise<EpackError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(EpackError);
  return err as EpackError;
}

describe('verifyPackIntegrity', () => {
  it('verifies a good pack and returns a summary', async () => {
    const p = path.join(dir, 'ok.epack');
    writeFileSync(p, craftZip(packEntries({ 'artifacts/a.json': '{}', 'artifacts/b/c.txt': 'c' })));
    const s = await verifyPackIntegrity(p);
    expect(s).toMatchObject({ stream: 'test/stream', artifacts: 2, bytes: 3, attestations: [] });
    expect(s.manifestDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports tampering as a verification failure', async () => {
    const p = path.join(dir, 'tampered.epack');
    writeFileSync(p, craftZip([{ name: 'manifest.json', data: manifestFor({ 'artifacts/a.json': '{"a":1}' }) }, { name: 'artifacts/a.json', data: '{"a":2}' }]));
    const err = await failure(verifyPackIntegrity(p));
    expect(err.code).toBe('digest_mismatch');
    expect(err.kind).toBe('verification');
    const missing = path.join(dir, 'missing.epack');
    writeFileSync(missing, craftZip([{ name: 'manifest.json', data: manifestFor({ 'artifacts/a.json': '{}' }) }, { name: 'artifacts/' }]));
    expect((await failure(verifyPackIntegrity(missing))).code).toBe('missing_embedded_artifact');
  });

  it('reports a malformed pack as bad input', async () => {
    const p = path.join(dir, 'junk.epack');
    writeFileSync(p, 'not a zip');
    const err = await failure(verifyPackIntegrity(p));
    expect(err.code).toBe('invalid_zip_format');
    expect(err.kind).toBe('input');
  });

  it('streams a ~300 MB pack with flat memory', async () => {
    const blocks = 300;
    global.gc?.();
    const before = process.memoryUsage().rss;
    const p = await bigPack('300m.epack', [blocks - 44, 44]);
    const afterWrite = process.memoryUsage().rss;
    const s = await verifyPackIntegrity(p, { limits: { maxArtifactSize: 512 * MiB } });
    const afterVerify = process.memoryUsage().rss;
    expect(s.bytes).toBe(blocks * MiB);
    // the content is 300 MiB; holding any of it whole would show here
    expect(afterWrite - before).toBeLessThan(96 * MiB);
    expect(afterVerify - before).toBeLessThan(96 * MiB);
  }, 120_000);
});

const bigTests = process.env['EPACK_BIG_TESTS'] === '1';
// 4.5 GiB of disk and about a minute: opt-in; the 300 MiB case above runs always.
if (!bigTests) process.stderr.write('SKIP big packs: set EPACK_BIG_TESTS=1 to write and verify a 4.5 GiB pack\n');
describe.runIf(bigTests)('big packs (EPACK_BIG_TESTS=1)', () => {
  it('writes and verifies a 4.5 GiB pack (ZIP64) with flat memory', async () => {
    const before = process.memoryUsage().rss;
    const p = await bigPack('4g.epack', [4200, 400]);
    const limits = { maxArtifactSize: 8 * 1024 * MiB, maxPackSize: 16 * 1024 * MiB };
    const pack = await openPack(p, { limits });
    expect(pack.artifacts[0]!.size).toBeGreaterThan(0xffffffff);
    await pack.close();
    const s = await verifyPackIntegrity(p, { limits });
    expect(s.bytes).toBe(4600 * MiB);
    expect(process.memoryUsage().rss - before).toBeLessThan(128 * MiB);
    rmSync(p);
  }, 900_000);
});
