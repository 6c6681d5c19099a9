import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { copyGraph, type CopyEvent } from '../../src/store/copy.js';
import { MemoryStore } from '../../src/store/memory.js';
import { OciLayoutStore } from '../../src/store/oci-layout.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { MediaType } from '../../src/oci/media-types.js';
import { NetworkError } from '../../src/error.js';
import type { PushOptions } from '../../src/store/types.js';
import { artifact, blob, collect, emptyConfig, index, manifest, pushAll, text, type Node } from './fixtures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'epack-copy-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A multi-platform index of two artifacts, a signature on the index, and an attestation signing the signature. */
async function graph(store: MemoryStore): Promise<{ root: Node; all: Node[]; sig: Node; sigOfSig: Node; unrelated: Node }> {
  const a = artifact('a');
  const b = artifact('b');
  const root = index([a.root, b.root]);
  const sigLayer = blob('bundle', MediaType.sigstoreBundleV03);
  const sig = manifest(emptyConfig, [sigLayer], { artifactType: MediaType.sigstoreBundleV03, subject: root.desc });
  const sigOfSigLayer = blob('bundle over the bundle', MediaType.sigstoreBundleV03);
  const sigOfSig = manifest(emptyConfig, [sigOfSigLayer], { artifactType: 'application/vnd.test.counter', subject: sig.desc });
  const u = artifact('unrelated');
  const all = [...a.nodes, ...b.nodes, root, emptyConfig, sigLayer, sig, sigOfSigLayer, sigOfSig];
  await pushAll(store, [...all, ...u.nodes]);
  return { root, all, sig, sigOfSig, unrelated: u.root };
}

describe('copyGraph', () => {
  it('copies an index with its manifests and blobs, children first, then tags', async () => {
    const src = new MemoryStore('src');
    const { root, all, sig } = await graph(src);
    const order: string[] = [];
    const dst = new MemoryStore('dst');
    const push = dst.push.bind(dst);
    dst.push = async (desc: Descriptor, content: Readable | Uint8Array, options?: PushOptions) => {
      order.push(desc.digest);
      await push(desc, content, options);
    };
    const result = await copyGraph(src, dst, root.desc, { tag: ['v1', 'latest'] });
    // The root's graph only: no referrers without the option.
    expect(await dst.exists(sig.desc)).toBe(false);
    expect(result.copied).toBe(9);
    expect(result.tags).toEqual(['v1', 'latest']);
    expect((await dst.resolve('v1')).digest).toBe(root.desc.digest);
    expect(order.at(-1)).toBe(root.desc.digest);
    // Every manifest comes after its children.
    for (const node of all.filter((n) => n.desc.mediaType === MediaType.imageManifest && !n.desc.digest.includes(sig.desc.digest))) {
      if (!order.includes(node.desc.digest)) continue;
      const doc = JSON.parse(Buffer.from(node.bytes).toString()) as { config: Descriptor; layers: Descriptor[] };
      for (const child of [doc.config, ...doc.layers]) expect(order.indexOf(child.digest)).toBeLessThan(order.indexOf(node.desc.digest));
    }
  });

  it('copies referrers recursively with -r, into a layout, and they are found there', async () => {
    const src = new MemoryStore('src');
    const { root, sig, sigOfSig, unrelated } = await graph(src);
    const dst = new OciLayoutStore(path.join(dir, 'out'));
    const result = await copyGraph(src, dst, root.desc, { referrers: true, tag: 'v1' });
    expect(result.referrers.map((r) => r.digest)).toEqual([sig.desc.digest, sigOfSig.desc.digest]);
    expect((await collect(dst.referrers(root.desc))).map((r) => r.digest)).toEqual([sig.desc.digest]);
    expect((await collect(dst.referrers(sig.desc))).map((r) => [r.digest, r.artifactType])).toEqual([[sigOfSig.desc.digest, 'application/vnd.test.counter']]);
    expect(await dst.exists(unrelated.desc)).toBe(false);
    expect((await dst.resolve('v1')).digest).toBe(root.desc.digest);
  });

  it('filters the root referrers by artifact type but keeps what refers to them', async () => {
    const src = new MemoryStore('src');
    const { root, sig, sigOfSig } = await graph(src);
    const other = manifest(emptyConfig, [blob('other')], { artifactType: 'application/vnd.other', subject: root.desc });
    await pushAll(src, [blob('other'), other]);
    const dst = new MemoryStore('dst');
    await copyGraph(src, dst, root.desc, { referrers: true, artifactType: MediaType.sigstoreBundleV03 });
    expect(await dst.exists(sig.desc)).toBe(true);
    expect(await dst.exists(sigOfSig.desc)).toBe(true);
    expect(await dst.exists(other.desc)).toBe(false);
  });

  it('skips what the destination has, subtree included', async () => {
    const src = new MemoryStore('src');
    const { root } = await graph(src);
    const dst = new OciLayoutStore(path.join(dir, 'out'));
    await copyGraph(src, dst, root.desc);
    const events: CopyEvent[] = [];
    const again = await copyGraph(src, dst, root.desc, { onProgress: (e) => events.push(e) });
    expect(again.copied).toBe(0);
    expect(again.skipped).toBe(1);
    expect(events.filter((e) => e.type === 'skipped').map((e) => e.descriptor.digest)).toEqual([root.desc.digest]);
    // A partial destination gets only what is missing.
    const dst2 = new MemoryStore('dst2');
    const a = artifact('a');
    await pushAll(dst2, a.nodes);
    const partial = await copyGraph(src, dst2, root.desc);
    expect(partial.skipped).toBe(1);
    expect(partial.copied).toBe(5);
  });

  it('reports bytes while copying from a layout', async () => {
    const src = new OciLayoutStore(path.join(dir, 'src'));
    const a = artifact('big');
    await pushAll(src, a.nodes);
    const events: CopyEvent[] = [];
    const dst = new MemoryStore();
    const result = await copyGraph(src, dst, a.root.desc, { concurrency: 2, onProgress: (e) => events.push(e) });
    expect(result.bytes).toBe(a.nodes.reduce((s, n) => s + n.desc.size, 0));
    const big = a.nodes[2]!.desc;
    expect(events.filter((e) => e.type === 'bytes' && e.descriptor.digest === big.digest).at(-1)?.bytes).toBe(big.size);
    expect(await text(await dst.fetch(big))).toBe('layer two of big'.repeat(1000));
  });

  it('leaves no tag when a transfer fails, and reports the first error', async () => {
    const src = new MemoryStore('src');
    const { root } = await graph(src);
    const dst = new OciLayoutStore(path.join(dir, 'out'));
    const fetch = src.fetch.bind(src);
    let calls = 0;
    src.fetch = async (desc, options) => {
      if (desc.mediaType === MediaType.octetStream && ++calls === 3) throw new NetworkError('connection_reset', 'connection reset');
      return fetch(desc, options);
    };
    await expect(copyGraph(src, dst, root.desc, { tag: 'v1' })).rejects.toMatchObject({ code: 'connection_reset' });
    await expect(dst.resolve('v1')).rejects.toMatchObject({ kind: 'not_found' });
    expect(await dst.exists(root.desc)).toBe(false);
  });

  it('mounts blobs when the destination can mount and a source repository is given', async () => {
    const src = new MemoryStore('src');
    const a = artifact('a');
    await pushAll(src, a.nodes);
    const mounted: string[] = [];
    const dst = Object.assign(new MemoryStore('dst'), {
      async mount(desc: Descriptor, fromRepo: string, getContent: () => Promise<Readable>) {
        mounted.push(`${fromRepo}@${desc.digest}`);
        await dst.push(desc, await getContent());
      },
    });
    await copyGraph(src, dst, a.root.desc, { mountFrom: 'team/other' });
    expect(mounted.sort()).toEqual(a.nodes.slice(0, 3).map((n) => `team/other@${n.desc.digest}`).sort());
    expect(await dst.exists(a.root.desc)).toBe(true);
  });

  it('rejects a bad concurrency', async () => {
    await expect(copyGraph(new MemoryStore(), new MemoryStore(), blob('x').desc, { concurrency: 0 })).rejects.toMatchObject({ code: 'invalid_concurrency', kind: 'input' });
  });
});
