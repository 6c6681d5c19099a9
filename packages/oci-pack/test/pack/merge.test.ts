import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EpackError } from '../../src/error.js';
import { computeManifestDigest } from '../../src/pack/digest.js';
import { mergePacks } from '../../src/pack/merge.js';
import { openPack } from '../../src/pack/read.js';
import { rewritePackWithAttestation } from '../../src/pack/write.js';
import { craftZip, manifestFor, packEntries } from './zip-craft.js';

const dir = mkdtempSync(path.join(tmpdir(), 'epack-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function packFile(name: string, stream: string, files: Record<string, string>): string {
  const p = path.join(dir, name);
  const entries = packEntries(files);
  entries[0] = { name: 'manifest.json', data: manifestFor(files, stream) };
  writeFileSync(p, craftZip(entries));
  return p;
}

/** A structurally valid (unsigned-in-substance) attestation naming a manifest digest. */
function bundleFor(manifestDigest: string): Buffer {
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'manifest.json', digest: { sha256: manifestDigest } }],
    predicateType: 'https://evidencepack.org/attestation/v1',
    predicate: {},
  };
  return Buffer.from(
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: 'test' }, tlogEntries: [] },
      dsseEnvelope: { payloadType: 'application/vnd.in-toto+json', payload: Buffer.from(JSON.stringify(statement)).toString('base64'), signatures: [{ sig: 'c2ln', keyid: '' }] },
    }),
  );
}

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'ok', (e: unknown) => (e instanceof EpackError ? e.code : String(e)));
}

describe('mergePacks', () => {
  const a = packFile('a.epack', 'org/a', { 'artifacts/data.json': '{"a":1}' });
  const b = packFile('b.epack', 'org/b', { 'artifacts/data.json': '{"b":1}', 'artifacts/x/y.txt': 'y' });
  const c = packFile('c.epack', 'org/c', { 'artifacts/other.json': '{}' });

  it('namespaces artifacts by stream and records provenance with attestations', async () => {
    const aPack = await openPack(a);
    const aDigest = aPack.manifestDigest;
    await aPack.close();
    await rewritePackWithAttestation(a, 'k1.sigstore.json', bundleFor(aDigest));
    const out = path.join(dir, 'm1.epack');
    const res = await mergePacks(out, [a, b], { stream: 'org/merged', mergedBy: 'ci', mergedAt: '2026-02-01T00:00:00Z' });
    expect(res.sources.map((s) => [s.stream, s.artifacts, s.attestations])).toEqual([['org/a', 1, 1], ['org/b', 2, 0]]);
    const m = await openPack(out);
    expect(m.artifacts.map((x) => x.path)).toEqual(['artifacts/org/a/data.json', 'artifacts/org/b/data.json', 'artifacts/org/b/x/y.txt']);
    const prov = m.manifest.provenance as { type: string; merged_at: string; merged_by: string; source_packs: { stream: string; manifest_digest: string; artifacts: number; embedded_attestations?: { mediaType: string }[] }[] };
    expect(prov.type).toBe('merged');
    expect(prov.merged_at).toBe('2026-02-01T00:00:00Z');
    expect(prov.merged_by).toBe('ci');
    expect(prov.source_packs[0]!.manifest_digest).toBe(aDigest);
    expect(prov.source_packs[0]!.embedded_attestations?.[0]?.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(prov.source_packs[1]!.embedded_attestations).toBeUndefined();
    expect(m.attestations).toEqual([]); // source attestations live in provenance, not attestations/
    expect(computeManifestDigest(m.manifestBytes)).toBe(m.manifestDigest);
    await m.close();

    // merging a merged pack keeps its paths and checks nested streams
    const out2 = path.join(dir, 'm2.epack');
    await mergePacks(out2, [out, c], { stream: 'org/all' });
    const m2 = await openPack(out2);
    expect(m2.artifacts.map((x) => x.path)).toEqual(['artifacts/org/a/data.json', 'artifacts/org/b/data.json', 'artifacts/org/b/x/y.txt', 'artifacts/org/c/other.json']);
    await m2.close();
    expect(await code(mergePacks(path.join(dir, 'm3.epack'), [out, a], { stream: 'org/x' }))).toBe('duplicate_stream');
  });

  it('keeps referenced artifacts of the sources', async () => {
    const files = { 'artifacts/r.json': '{}' };
    const manifest = JSON.parse(manifestFor(files, 'org/ref').toString()) as { artifacts: unknown[] };
    manifest.artifacts.push({ type: 'reference', name: 'soc2', uri: 'https://trust.example.com/soc2', access: { policy: 'nda_required' } });
    const src = path.join(dir, 'ref.epack');
    writeFileSync(src, craftZip([{ name: 'manifest.json', data: JSON.stringify(manifest) }, { name: 'artifacts/' }, { name: 'artifacts/r.json', data: '{}' }]));
    const out = path.join(dir, 'ref-merged.epack');
    await mergePacks(out, [src], { stream: 'org/m' });
    const m = await openPack(out);
    expect(m.manifest.artifacts.map((a) => (a.type === 'embedded' ? a.path : (a as Record<string, unknown>)['name']))).toEqual(['artifacts/org/ref/r.json', 'soc2']);
    await m.close();
  });

  it('rejects duplicate streams and an attestation for another manifest', async () => {
    const a2 = packFile('a2.epack', 'org/a', { 'artifacts/z.json': '{}' });
    expect(await code(mergePacks(path.join(dir, 'dup.epack'), [a2, c, packFile('a3.epack', 'org/a', { 'artifacts/q': 'q' })], { stream: 'x' }))).toBe('duplicate_stream');
    const wrong = packFile('w.epack', 'org/w', { 'artifacts/w': 'w' });
    await rewritePackWithAttestation(wrong, 'k.sigstore.json', bundleFor('0'.repeat(64)));
    expect(await code(mergePacks(path.join(dir, 'wrong.epack'), [wrong], { stream: 'x' }))).toBe('manifest_digest_mismatch');
    expect(await code(mergePacks(path.join(dir, 'skip.epack'), [wrong], { stream: 'x', includeAttestations: false }))).toBe('ok');
  });
});
