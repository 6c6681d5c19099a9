import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { attachArtifact } from '../../src/store/attach.js';
import { referrerTree } from '../../src/store/referrer-tree.js';
import { MemoryStore } from '../../src/store/memory.js';
import { MediaType, EMPTY_JSON_DIGEST } from '../../src/oci/media-types.js';
import { artifact, pushAll, text } from './fixtures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'epack-attach-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('attachArtifact', () => {
  it('pushes files as titled layers under an empty config, with subject and created annotation', async () => {
    const store = new MemoryStore();
    const a = artifact('a');
    await pushAll(store, a.nodes);
    writeFileSync(path.join(dir, 'sbom.json'), '{"spdx":true}');
    writeFileSync(path.join(dir, 'notes.txt'), 'notes');
    const desc = await attachArtifact(store, a.root.desc, {
      artifactType: 'application/vnd.test.sbom',
      files: [{ path: path.join(dir, 'sbom.json'), mediaType: 'application/spdx+json' }, { path: path.join(dir, 'notes.txt') }],
      annotations: { team: 'platform' },
      now: new Date('2026-11-01T12:00:00.123Z'),
    });
    const manifest = JSON.parse(await text(await store.fetch(desc))) as Record<string, unknown> & {
      layers: { mediaType: string; annotations: Record<string, string> }[];
    };
    expect(manifest).toMatchObject({
      schemaVersion: 2,
      mediaType: MediaType.imageManifest,
      artifactType: 'application/vnd.test.sbom',
      config: { mediaType: MediaType.empty, digest: EMPTY_JSON_DIGEST, size: 2 },
      subject: { mediaType: a.root.desc.mediaType, digest: a.root.desc.digest, size: a.root.desc.size },
      annotations: { 'org.opencontainers.image.created': '2026-11-01T12:00:00Z', team: 'platform' },
    });
    expect(manifest.layers.map((l) => [l.mediaType, l.annotations['org.opencontainers.image.title']])).toEqual([
      ['application/spdx+json', 'sbom.json'],
      ['application/octet-stream', 'notes.txt'],
    ]);
    const [found] = await (async () => {
      const out = [];
      for await (const r of store.referrers(a.root.desc)) out.push(r);
      return out;
    })();
    expect(found).toMatchObject({ digest: desc.digest, artifactType: 'application/vnd.test.sbom' });
  });

  it('uses the empty descriptor as the only layer when there are no files; rejects bad input', async () => {
    const store = new MemoryStore();
    const a = artifact('a');
    await pushAll(store, a.nodes);
    const desc = await attachArtifact(store, a.root.desc, { artifactType: 'application/vnd.test.marker', files: [] });
    const manifest = JSON.parse(await text(await store.fetch(desc))) as { layers: { digest: string; data?: string }[] };
    expect(manifest.layers).toEqual([{ mediaType: MediaType.empty, digest: EMPTY_JSON_DIGEST, size: 2, data: 'e30=' }]);
    await expect(attachArtifact(store, a.root.desc, { artifactType: 'not a type', files: [] })).rejects.toMatchObject({ code: 'invalid_artifact_type' });
    await expect(attachArtifact(store, a.root.desc, { artifactType: 'application/x', files: [{ path: path.join(dir, 'missing') }] })).rejects.toMatchObject({
      code: 'file_not_found',
      kind: 'not_found',
    });
  });
});

describe('referrerTree', () => {
  it('nests referrers, honours depth, and filters the first level only', async () => {
    const store = new MemoryStore();
    const a = artifact('a');
    await pushAll(store, a.nodes);
    writeFileSync(path.join(dir, 'f'), 'x');
    const files = [{ path: path.join(dir, 'f') }];
    const sig = await attachArtifact(store, a.root.desc, { artifactType: 'application/vnd.sig', files });
    const sbom = await attachArtifact(store, a.root.desc, { artifactType: 'application/vnd.sbom', files });
    const counter = await attachArtifact(store, sig, { artifactType: 'application/vnd.counter', files });
    const full = await referrerTree(store, a.root.desc);
    expect(full.referrers.map((r) => r.artifactType)).toEqual(['application/vnd.sbom', 'application/vnd.sig']);
    expect(full.referrers[1]!.referrers.map((r) => r.digest)).toEqual([counter.digest]);
    const shallow = await referrerTree(store, a.root.desc, { depth: 1 });
    expect(shallow.referrers.every((r) => r.referrers.length === 0)).toBe(true);
    const sigsOnly = await referrerTree(store, a.root.desc, { artifactType: 'application/vnd.sig' });
    expect(sigsOnly.referrers.map((r) => r.digest)).toEqual([sig.digest]);
    expect(sigsOnly.referrers[0]!.referrers).toHaveLength(1);
    expect(sbom.digest).not.toBe(sig.digest);
    await expect(referrerTree(store, a.root.desc, { depth: 0 })).rejects.toMatchObject({ code: 'invalid_depth' });
  });
});
