/**
 * copyGraph with real registries as source and destination: memory ->
 * registry (with referrers), registry -> registry across repositories
 * (mounted), Docker manifest lists, and a registry -> layout -> memory round
 * trip that keeps every byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { copyGraph } from '../../src/store/copy.js';
import { MemoryStore } from '../../src/store/memory.js';
import { OciLayoutStore } from '../../src/store/oci-layout.js';
import { RegistryClient } from '../../src/registry/client.js';
import { MediaType } from '../../src/oci/media-types.js';
import { registryAvailable, startRegistry, stopAllRegistries, type RegistryKind, type RunningRegistry } from '../../../../test/harness/registries.js';
import { artifact, blob, collect, emptyConfig, manifest, pushAll, text, type Node } from './fixtures.js';

function dockerList(children: Node[]): Node {
  return blob(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.dockerManifestList,
      manifests: children.map((c, i) => ({ ...c.desc, platform: { architecture: i === 0 ? 'amd64' : 'arm64', os: 'linux' } })),
    }),
    MediaType.dockerManifestList,
  );
}

function dockerManifest(seed: string): { root: Node; nodes: Node[] } {
  const config = blob(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed }), 'application/vnd.docker.container.image.v1+json');
  const layer = blob(`docker layer ${seed}`, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
  const root = blob(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.dockerManifest, config: config.desc, layers: [layer.desc] }), MediaType.dockerManifest);
  return { root, nodes: [config, layer, root] };
}

const KINDS: RegistryKind[] = ['olareg', 'distribution2'];

afterAll(async () => {
  await stopAllRegistries();
});

describe.each(KINDS.map((kind) => ({ kind })))('copyGraph with $kind', ({ kind }) => {
  let reg: RunningRegistry | undefined;
  let client: RegistryClient | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'epack-copy-reg-'));
    if (!registryAvailable(kind)) return;
    reg = await startRegistry(kind);
    client = reg ? new RegistryClient(reg.host) : undefined;
  });
  afterAll(async () => {
    await client?.close();
    await reg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('memory -> registry with referrers, then across repositories by mount, then into a layout', async (ctx) => {
    if (!client) return ctx.skip();
    const mem = new MemoryStore();
    const a = artifact('reg', { artifactType: 'application/vnd.test.pack' });
    const sigLayer = blob('sig', MediaType.sigstoreBundleV03);
    const sig = manifest(emptyConfig, [sigLayer], { artifactType: MediaType.sigstoreBundleV03, subject: a.root.desc });
    const counterLayer = blob('counter', MediaType.sigstoreBundleV03);
    const counter = manifest(emptyConfig, [counterLayer], { artifactType: 'application/vnd.test.counter', subject: sig.desc });
    await pushAll(mem, [...a.nodes, emptyConfig, sigLayer, sig, counterLayer, counter]);

    const first = client.repository('lib/first');
    const r1 = await copyGraph(mem, first, a.root.desc, { referrers: true, tag: 'v1' });
    expect(r1.referrers.map((r) => r.digest)).toEqual([sig.desc.digest, counter.desc.digest]);
    expect((await first.resolve('v1')).digest).toBe(a.root.desc.digest);
    expect((await collect(first.referrers(sig.desc))).map((r) => r.digest)).toEqual([counter.desc.digest]);

    const second = client.repository('lib/second');
    const r2 = await copyGraph(first, second, a.root.desc, { referrers: true, mountFrom: 'lib/first', tag: ['v1', 'latest'], concurrency: 2 });
    expect(r2.tags).toEqual(['v1', 'latest']);
    expect((await collect(second.referrers(a.root.desc))).map((r) => [r.digest, r.artifactType])).toEqual([[sig.desc.digest, MediaType.sigstoreBundleV03]]);
    expect(await text(await second.fetch(a.nodes[2]!.desc))).toBe('layer two of reg'.repeat(1000));

    const layout = new OciLayoutStore(path.join(dir, 'layout'));
    await copyGraph(second, layout, a.root.desc, { referrers: true, tag: 'v1' });
    const back = new MemoryStore();
    await copyGraph(layout, back, a.root.desc, { referrers: true });
    for (const n of [...a.nodes, sig, counter, sigLayer, counterLayer]) {
      expect(await text(await back.fetch(n.desc))).toBe(Buffer.from(n.bytes).toString());
    }
  });

  it('copies a Docker manifest list with its platform manifests', async (ctx) => {
    if (!client) return ctx.skip();
    const mem = new MemoryStore();
    const amd = dockerManifest('amd64');
    const arm = dockerManifest('arm64');
    const list = dockerList([amd.root, arm.root]);
    await pushAll(mem, [...amd.nodes, ...arm.nodes, list]);
    const repo = client.repository('lib/docker');
    const result = await copyGraph(mem, repo, list.desc, { tag: 'multi' });
    expect(result.copied).toBe(7);
    const resolved = await repo.resolve('multi');
    expect(resolved).toMatchObject({ digest: list.desc.digest, mediaType: MediaType.dockerManifestList });
    expect(await repo.exists(arm.root.desc)).toBe(true);
    const again = await copyGraph(mem, repo, list.desc);
    expect(again).toMatchObject({ copied: 0, skipped: 1 });
  });
});
