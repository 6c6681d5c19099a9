import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { MemoryStore } from '../../src/store/memory.js';
import { EpackError } from '../../src/error.js';
import { artifact, blob, collect, emptyConfig, manifest, pushAll, text } from './fixtures.js';

describe('MemoryStore', () => {
  it('stores, fetches, resolves and tags', async () => {
    const store = new MemoryStore();
    const a = artifact('a');
    await pushAll(store, a.nodes);
    expect(await store.exists(a.root.desc)).toBe(true);
    expect(await text(await store.fetch(a.nodes[1]!.desc))).toBe('layer one of a');
    expect((await store.resolve(a.root.desc.digest)).digest).toBe(a.root.desc.digest);
    await store.tag(a.root.desc, 'v1');
    expect(await store.resolve('v1')).toEqual({ mediaType: a.root.desc.mediaType, digest: a.root.desc.digest, size: a.root.desc.size });
    expect(await collect(store.tags())).toEqual(['v1']);
  });

  it('rejects content that does not match its descriptor', async () => {
    const store = new MemoryStore();
    const b = blob('hello');
    await expect(store.push(b.desc, Buffer.from('hellO'))).rejects.toMatchObject({ code: 'digest_mismatch' });
    await expect(store.push(b.desc, Readable.from([Buffer.from('hello!')]))).rejects.toMatchObject({ code: 'size_mismatch' });
    expect(await store.exists(b.desc)).toBe(false);
  });

  it('reports missing content and tags as not found', async () => {
    const store = new MemoryStore();
    const err = await store.resolve('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EpackError);
    expect(err).toMatchObject({ kind: 'not_found', code: 'tag_not_found' });
    await expect(store.fetch(blob('x').desc)).rejects.toMatchObject({ kind: 'not_found' });
    await expect(store.tag(blob('x').desc, 't')).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('finds referrers by scanning manifests, filtered by artifact type', async () => {
    const store = new MemoryStore();
    const a = artifact('a');
    await pushAll(store, a.nodes);
    const sig = manifest(emptyConfig, [blob('sig', 'application/vnd.dev.sigstore.bundle.v0.3+json')], {
      artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      subject: a.root.desc,
      annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
    });
    const sbom = manifest(blob('{}', 'application/spdx+json'), [blob('sbom')], { subject: a.root.desc });
    await pushAll(store, [emptyConfig, blob('sig', 'application/vnd.dev.sigstore.bundle.v0.3+json'), sig, blob('{}', 'application/spdx+json'), blob('sbom'), sbom]);
    const all = await collect(store.referrers(a.root.desc));
    expect(all.map((d) => d.digest).sort()).toEqual([sig.desc.digest, sbom.desc.digest].sort());
    const sigs = await collect(store.referrers(a.root.desc, 'application/vnd.dev.sigstore.bundle.v0.3+json'));
    expect(sigs).toHaveLength(1);
    expect(sigs[0]).toMatchObject({ digest: sig.desc.digest, annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' } });
    // Without artifactType the config media type stands in for it.
    const sboms = await collect(store.referrers(a.root.desc, 'application/spdx+json'));
    expect(sboms.map((d) => d.digest)).toEqual([sbom.desc.digest]);
    expect(await collect(store.referrers(sig.desc))).toEqual([]);
  });

  it('deletes content and the tags pointing at it; lists tags after `last`', async () => {
    const store = new MemoryStore();
    const a = artifact('a');
    await pushAll(store, a.nodes);
    await store.tag(a.root.desc, 'b');
    await store.tag(a.root.desc, 'a');
    await store.tag(a.root.desc, 'c');
    expect(await collect(store.tags({ last: 'a' }))).toEqual(['b', 'c']);
    await store.delete(a.root.desc);
    expect(await store.exists(a.root.desc)).toBe(false);
    expect(await collect(store.tags())).toEqual([]);
    await expect(store.delete(a.root.desc)).rejects.toMatchObject({ kind: 'not_found' });
  });
});
