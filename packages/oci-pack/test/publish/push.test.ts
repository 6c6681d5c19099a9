import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { digestOf } from '../../src/oci/digest.js';
import { MemoryStore } from '../../src/store/memory.js';
import { pushPack } from '../../src/publish/push.js';
import { openRemotePack } from '../../src/publish/remote-pack.js';
import { counting } from './counting.js';
import { fakePack } from './fixtures.js';

const files = {
  'artifacts/sbom.cdx.json': '{"bomFormat":"CycloneDX","specVersion":"1.6"}',
  'artifacts/scan.sarif': '{"version":"2.1.0","runs":[]}',
  'artifacts/tests.xml': '<testsuites/>',
};

describe('pushPack', () => {
  it('pushes blobs, config, manifest, then tags, and reads back by tag', async () => {
    const { store, calls } = counting(new MemoryStore());
    const pack = fakePack({ files, attestations: { 'attestations/ci.sigstore.json': '{"mediaType":"x"}' } });
    const progress: number[] = [];
    const result = await pushPack(store, pack, { tags: ['2026-11', 'soc2', 'soc2'], labels: ['soc2'], onProgress: (p) => progress.push(p.bytesDone) });
    expect(result.tags).toEqual(['2026-11', 'soc2']);
    expect(result.blobsPushed).toBe(5);
    expect(result.blobsSkipped).toBe(0);
    // tags come strictly after the manifest, which comes after every blob
    const ops = calls.filter((c) => c.op === 'push' || c.op === 'tag').map((c) => (c.op === 'tag' ? `tag:${c.tag}` : c.digest));
    expect(ops.slice(-3)).toEqual([result.digest, 'tag:2026-11', 'tag:soc2']);
    expect(ops[ops.length - 4]).toBe(digestOf(pack.manifestBytes));
    expect(progress.at(-1)).toBe(pack.artifacts.reduce((s, a) => s + a.size, 0) + 17 + pack.manifestBytes.byteLength);

    const remote = await openRemotePack(store, 'soc2');
    expect(remote.descriptor.digest).toBe(result.digest);
    expect(Buffer.from(remote.manifestBytes).equals(Buffer.from(pack.manifestBytes))).toBe(true);
    expect(remote.manifestDigest).toBe(pack.manifestDigest);
    expect(remote.attestations).toEqual(['attestations/ci.sigstore.json']);
    expect(await text(await remote.openArtifact('artifacts/scan.sarif'))).toBe(files['artifacts/scan.sarif']);
    expect(new TextDecoder().decode(await remote.readAttestation('attestations/ci.sigstore.json'))).toBe('{"mediaType":"x"}');
  });

  it('re-push after changing one artifact uploads only that blob, the config and the manifest', async () => {
    const { store, calls, pushed } = counting(new MemoryStore());
    await pushPack(store, fakePack({ files }), { tags: ['v1'] });
    calls.length = 0;
    const changed = fakePack({ files: { ...files, 'artifacts/scan.sarif': '{"version":"2.1.0","runs":[{}]}' } });
    const result = await pushPack(store, changed, { tags: ['v2'] });
    const sarif = changed.artifacts.find((a) => a.path === 'artifacts/scan.sarif')!;
    expect(pushed()).toEqual([sarif.digest, digestOf(changed.manifestBytes), result.digest]);
    expect(changed.opened).toEqual(['artifacts/scan.sarif']);
    expect(result).toMatchObject({ blobsPushed: 2, blobsSkipped: 2 });
  });

  it('keeps referenced artifacts in manifest.json only, with no layer', async () => {
    const store = new MemoryStore();
    const pack = fakePack({ files: { 'artifacts/a.txt': 'a' }, referenced: [{ name: 'SOC 2 report', uri: 'https://trust.acme.example/soc2.pdf' }] });
    const result = await pushPack(store, pack, { tags: ['v1'] });
    const remote = await openRemotePack(store, 'v1');
    expect(remote.imageManifest.layers.map((l) => l.annotations?.['org.opencontainers.image.title'])).toEqual(['artifacts/a.txt']);
    expect(remote.manifest.artifacts).toHaveLength(2);
    expect(remote.artifacts.map((a) => a.path)).toEqual(['artifacts/a.txt']);
    expect(result.blobsPushed).toBe(2);
  });

  it('uploads identical content under two paths once', async () => {
    const { store, pushed } = counting(new MemoryStore());
    const pack = fakePack({ files: { 'artifacts/a.txt': 'same', 'artifacts/b.txt': 'same' } });
    const result = await pushPack(store, pack);
    expect(pushed()).toEqual([digestOf('same'), digestOf(pack.manifestBytes), result.digest]);
    expect((await openRemotePack(store, result.digest)).artifacts.map((a) => a.path)).toEqual(['artifacts/a.txt', 'artifacts/b.txt']);
  });

  it('rejects an invalid tag or concurrency before pushing anything', async () => {
    const { store, calls } = counting(new MemoryStore());
    await expect(pushPack(store, fakePack({ files }), { tags: ['-bad'] })).rejects.toMatchObject({ code: 'invalid_tag' });
    await expect(pushPack(store, fakePack({ files }), { concurrency: 0 })).rejects.toMatchObject({ code: 'invalid_concurrency', kind: 'input' });
    await expect(pushPack(store, fakePack({ files }), { concurrency: Number.NaN })).rejects.toMatchObject({ code: 'invalid_concurrency' });
    expect(calls).toEqual([]);
  });

  it('stores no manifest or tag when an artifact does not match the pack manifest', async () => {
    const { store, calls } = counting(new MemoryStore());
    const pack = fakePack({ files });
    pack.artifacts[1]!.size += 1; // the manifest promises one byte more than the file has
    await expect(pushPack(store, pack, { tags: ['v1'] })).rejects.toMatchObject({ kind: 'verification' });
    expect(calls.some((c) => c.op === 'tag')).toBe(false);
    await expect(store.resolve('v1')).rejects.toMatchObject({ code: 'tag_not_found' });
  });
});

describe('a failing upload', () => {
  it('stops the queued uploads and reports the first error', async () => {
    const inner = new MemoryStore();
    const attempts: string[] = [];
    const failing = Object.assign(Object.create(inner) as MemoryStore, {
      push: async (desc: { digest: string }, content: unknown) => {
        attempts.push(desc.digest);
        if (attempts.length === 1) throw Object.assign(new Error('boom'), { code: 'network_down' });
        return inner.push(desc as never, content as never);
      },
    });
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`artifacts/f${i}.txt`, `content ${i}`]));
    await expect(pushPack(failing, fakePack({ files: many }), { tags: ['v1'], concurrency: 1 })).rejects.toThrow('boom');
    expect(attempts).toHaveLength(1);
    await expect(inner.resolve('v1')).rejects.toMatchObject({ code: 'tag_not_found' });
  });
});

describe('dry run', () => {
  it('reports what would be uploaded and stores nothing', async () => {
    const { store, pushed, calls } = counting(new MemoryStore());
    await pushPack(store, fakePack({ files }), { tags: ['v1'] });
    calls.length = 0;
    const changed = fakePack({ files: { ...files, 'artifacts/tests.xml': '<testsuites tests="2"/>' } });
    const result = await pushPack(store, changed, { tags: ['v2'], dryRun: true });
    expect(result).toMatchObject({ dryRun: true, blobsPushed: 2, blobsSkipped: 2, tags: ['v2'] });
    expect(result.manifest.artifactType).toBe('application/vnd.evidencepack.pack.v1');
    expect(pushed()).toEqual([]);
    expect(calls.every((c) => c.op === 'exists')).toBe(true);
    expect(changed.opened).toEqual([]);
    await expect(store.resolve('v2')).rejects.toMatchObject({ code: 'tag_not_found' });
  });
});
