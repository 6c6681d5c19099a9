import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, utimesSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { OciLayoutStore } from '../../src/store/oci-layout.js';
import { withFileLock } from '../../src/store/file-lock.js';
import { MediaType } from '../../src/oci/media-types.js';
import { artifact, blob, collect, emptyConfig, index, manifest, pushAll, text } from './fixtures.js';
import { peerAvailable, runTool } from '../../../../test/harness/cli.js';
import { REPO_ROOT } from '../../../../test/harness/tools.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'epack-layout-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function indexJson(root: string): { manifests: { digest: string; annotations?: Record<string, string> }[] } {
  return JSON.parse(readFileSync(path.join(root, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
}

describe('OciLayoutStore', () => {
  it('creates the layout on first write: oci-layout, index.json, blobs/sha256', async () => {
    const root = path.join(dir, 'store');
    const store = new OciLayoutStore(root);
    const a = artifact('a');
    await pushAll(store, a.nodes);
    await store.tag(a.root.desc, 'v1');
    expect(JSON.parse(readFileSync(path.join(root, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const idx = indexJson(root);
    expect(idx.manifests).toEqual([{ mediaType: MediaType.imageManifest, digest: a.root.desc.digest, size: a.root.desc.size, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }]);
    for (const n of a.nodes) expect(existsSync(path.join(root, 'blobs/sha256', n.desc.digest.slice(7)))).toBe(true);
    expect(readdirSync(path.join(root, 'blobs/sha256')).filter((f) => f.startsWith('.'))).toEqual([]);
    expect(await store.resolve('v1')).toEqual(a.root.desc);
    expect(await store.resolve(a.root.desc.digest)).toEqual(a.root.desc);
    expect(await text(await store.fetch(a.nodes[1]!.desc))).toBe('layer one of a');
  });

  it('verifies blobs while writing and leaves nothing behind on mismatch', async () => {
    const store = new OciLayoutStore(dir);
    const b = blob('hello world');
    await expect(store.push(b.desc, Readable.from([Buffer.from('hello worlD')]))).rejects.toMatchObject({ code: 'digest_mismatch', kind: 'verification' });
    await expect(store.push(b.desc, Buffer.from('hello world!'))).rejects.toMatchObject({ code: 'size_mismatch' });
    expect(await store.exists(b.desc)).toBe(false);
    expect(readdirSync(path.join(dir, 'blobs/sha256'))).toEqual([]);
  });

  it('detects a blob corrupted on disk while reading it', async () => {
    const store = new OciLayoutStore(dir);
    const b = blob('precious');
    await store.push(b.desc, b.bytes);
    writeFileSync(path.join(dir, 'blobs/sha256', b.desc.digest.slice(7)), 'precioUs');
    await expect(text(await store.fetch(b.desc))).rejects.toMatchObject({ code: 'digest_mismatch' });
  });

  it('moves tags, keeps displaced manifests listed untagged, lists and removes tags', async () => {
    const store = new OciLayoutStore(dir);
    const a = artifact('a');
    const b = artifact('b');
    await pushAll(store, [...a.nodes, ...b.nodes]);
    await store.tag(a.root.desc, 'latest');
    await store.tag(a.root.desc, 'v1');
    await store.tag(b.root.desc, 'latest');
    expect((await store.resolve('latest')).digest).toBe(b.root.desc.digest);
    expect(await collect(store.tags())).toEqual(['latest', 'v1']);
    await store.untag('v1');
    expect(indexJson(dir).manifests.map((m) => [m.digest, m.annotations?.['org.opencontainers.image.ref.name']])).toEqual(
      expect.arrayContaining([[b.root.desc.digest, 'latest'], [a.root.desc.digest, undefined]]),
    );
    await expect(store.resolve('v1')).rejects.toMatchObject({ kind: 'not_found', code: 'tag_not_found' });
    await expect(store.tag(a.root.desc, 'bad tag')).rejects.toMatchObject({ code: 'invalid_tag' });
  });

  it('finds referrers, also of manifests inside an index, and filters by artifact type', async () => {
    const store = new OciLayoutStore(dir);
    const a = artifact('a');
    const b = artifact('b');
    const idx = index([a.root, b.root]);
    await pushAll(store, [...a.nodes, ...b.nodes, idx]);
    const sigLayer = blob('sig', MediaType.sigstoreBundleV03);
    const sig = manifest(emptyConfig, [sigLayer], { artifactType: MediaType.sigstoreBundleV03, subject: idx.desc });
    const other = manifest(emptyConfig, [blob('x')], { artifactType: 'application/vnd.other', subject: idx.desc });
    await pushAll(store, [emptyConfig, sigLayer, sig, blob('x'), other]);
    expect((await collect(store.referrers(idx.desc))).map((d) => d.digest).sort()).toEqual([sig.desc.digest, other.desc.digest].sort());
    const sigs = await collect(store.referrers(idx.desc, MediaType.sigstoreBundleV03));
    expect(sigs).toEqual([{ mediaType: MediaType.imageManifest, digest: sig.desc.digest, size: sig.desc.size, artifactType: MediaType.sigstoreBundleV03 }]);
    expect(await collect(store.referrers(a.root.desc))).toEqual([]);
  });

  it('deletes manifests and garbage-collects unreferenced blobs only', async () => {
    const store = new OciLayoutStore(dir);
    const a = artifact('a');
    const b = artifact('b');
    await pushAll(store, [...a.nodes, ...b.nodes]);
    await store.tag(a.root.desc, 'keep');
    const stray = blob('nobody points at me');
    await store.push(stray.desc, stray.bytes);
    await store.delete(b.root.desc);
    await expect(store.resolve(b.root.desc.digest)).rejects.toMatchObject({ kind: 'not_found' });
    // Within the grace period nothing goes.
    expect((await store.gc()).removed).toEqual([]);
    const result = await store.gc({ gracePeriodMs: 0 });
    const removed = result.removed.map((r) => r.digest).sort();
    expect(removed).toEqual([stray.desc.digest, b.nodes[0]!.desc.digest, b.nodes[1]!.desc.digest, b.nodes[2]!.desc.digest].sort());
    for (const n of a.nodes) expect(await store.exists(n.desc)).toBe(true);
    expect(await store.exists(stray.desc)).toBe(false);
  });

  it('repairs a manifest whose writer died before index.json listed it', async () => {
    const store = new OciLayoutStore(dir);
    const a = artifact('a');
    await pushAll(store, a.nodes.slice(0, 3));
    writeFileSync(path.join(dir, 'blobs/sha256', a.root.desc.digest.slice(7)), a.root.bytes);
    expect(await store.exists(a.root.desc)).toBe(false);
    await store.push(a.root.desc, a.root.bytes);
    expect(await store.exists(a.root.desc)).toBe(true);
    expect(indexJson(dir).manifests.map((m) => m.digest)).toEqual([a.root.desc.digest]);
  });

  it('refuses to write into a directory that is not a layout, and respects read-only', async () => {
    writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    const store = new OciLayoutStore(dir);
    await expect(store.push(blob('x').desc, blob('x').bytes)).rejects.toMatchObject({ code: 'not_an_oci_layout', kind: 'input' });
    await expect(store.resolve('v1')).rejects.toMatchObject({ code: 'layout_not_found', kind: 'not_found' });
    const ro = new OciLayoutStore(path.join(dir, 'other'), { readOnly: true });
    await expect(ro.push(blob('x').desc, blob('x').bytes)).rejects.toMatchObject({ code: 'read_only_store' });
  });

  it('rejects an unsupported layout version', async () => {
    writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    await expect(new OciLayoutStore(dir).resolve('v1')).rejects.toMatchObject({ code: 'unsupported_oci_layout' });
  });

  it('does not lose index entries when 8 processes push and tag concurrently', async () => {
    const distStore = path.join(REPO_ROOT, 'packages/oci-pack/dist/store/index.js');
    expect(existsSync(distStore), 'run pnpm build first (the writers run the built library)').toBe(true);
    const writer = `
      import { createHash } from 'node:crypto';
      const { OciLayoutStore } = await import(${JSON.stringify(distStore)});
      const [dir, id] = process.argv.slice(1);
      const store = new OciLayoutStore(dir);
      const d = (b) => 'sha256:' + createHash('sha256').update(b).digest('hex');
      for (let i = 0; i < 5; i++) {
        const layer = Buffer.from('layer ' + id + ' ' + i);
        const layerDesc = { mediaType: 'application/octet-stream', digest: d(layer), size: layer.length };
        const config = Buffer.from('{}');
        const configDesc = { mediaType: 'application/vnd.oci.empty.v1+json', digest: d(config), size: 2 };
        const m = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: configDesc, layers: [layerDesc] }));
        const mDesc = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d(m), size: m.length };
        await store.push(configDesc, config);
        await store.push(layerDesc, layer);
        await store.push(mDesc, m);
        await store.tag(mDesc, 'w' + id + '-' + i);
      }
    `;
    await Promise.all(
      Array.from({ length: 8 }, (_, id) =>
        new Promise<void>((resolve, reject) => {
          // All start on a directory that does not exist yet: creating the layout races too.
          const child = spawn(process.execPath, ['--input-type=module', '-e', writer, path.join(dir, 'new'), String(id)], { stdio: ['ignore', 'inherit', 'inherit'] });
          child.on('error', reject);
          child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${id} exited ${code}`))));
        }),
      ),
    );
    const store = new OciLayoutStore(path.join(dir, 'new'));
    const tags = await collect(store.tags());
    expect(tags).toHaveLength(40);
    expect(indexJson(path.join(dir, 'new')).manifests).toHaveLength(40);
    expect(existsSync(path.join(dir, 'new', 'index.json.lock'))).toBe(false);
  }, 60_000);

  it('does not lose index entries with 8 async writers (separate store objects) in one process', async () => {
    const root = path.join(dir, 'async');
    await Promise.all(
      Array.from({ length: 8 }, async (_, id) => {
        const store = new OciLayoutStore(root);
        for (let i = 0; i < 4; i++) {
          const a = artifact(`w${id}-${i}`);
          await pushAll(store, a.nodes);
          await store.tag(a.root.desc, `w${id}-${i}`);
        }
      }),
    );
    expect(await collect(new OciLayoutStore(root).tags())).toHaveLength(32);
    expect(indexJson(root).manifests).toHaveLength(32);
  });

  it('takes over a stale lock left by a dead process', async () => {
    mkdirSync(dir, { recursive: true });
    const lock = path.join(dir, 'index.json.lock');
    writeFileSync(lock, `999999999 ${(await import('node:os')).hostname()} 0 dead`);
    let ran = false;
    await withFileLock(lock, async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    // An old lock of a live (or unknown) owner is stale after staleMs.
    writeFileSync(lock, `1 elsewhere 0 x`);
    utimesSync(lock, new Date(0), new Date(0));
    await withFileLock(lock, async () => undefined, { staleMs: 1000 });
    expect(existsSync(lock)).toBe(false);
    // A fresh lock of another host makes us wait, then time out.
    writeFileSync(lock, `1 elsewhere ${Date.now()} y`);
    await expect(withFileLock(lock, async () => undefined, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'layout_locked' });
  });
});

describe.skipIf(!peerAvailable('oras', 'layout interop with oras'))('OciLayoutStore interop with oras', () => {
  it('reads what oras push and oras attach wrote', async () => {
    writeFileSync(path.join(dir, 'a.txt'), 'hello from oras\n');
    writeFileSync(path.join(dir, 'sig.txt'), 'signature\n');
    const push = await runTool('oras', ['push', '--oci-layout', `${dir}/lay:v1`, '--artifact-type', 'application/vnd.test', 'a.txt:text/plain'], { cwd: dir });
    expect(push.code, push.stderr).toBe(0);
    const attach = await runTool('oras', ['attach', '--oci-layout', `${dir}/lay:v1`, '--artifact-type', 'application/vnd.sig', 'sig.txt'], { cwd: dir });
    expect(attach.code, attach.stderr).toBe(0);
    const store = new OciLayoutStore(path.join(dir, 'lay'), { readOnly: true });
    const root = await store.resolve('v1');
    const refs = await collect(store.referrers(root));
    expect(refs).toHaveLength(1);
    expect(refs[0]!.artifactType).toBe('application/vnd.sig');
    const m = JSON.parse(await text(await store.fetch(root))) as { layers: { digest: string; size: number; mediaType: string }[] };
    expect(await text(await store.fetch(m.layers[0]!))).toBe('hello from oras\n');
    expect(await collect(store.tags())).toEqual(['v1']);
  });

  it('oras reads what we wrote: manifest, referrers and blobs', async () => {
    const root = path.join(dir, 'ours');
    const store = new OciLayoutStore(root);
    const a = artifact('a', { artifactType: 'application/vnd.test' });
    const sigLayer = blob('sig', MediaType.sigstoreBundleV03);
    const sig = manifest(emptyConfig, [sigLayer], { artifactType: MediaType.sigstoreBundleV03, subject: a.root.desc });
    await pushAll(store, [...a.nodes, emptyConfig, sigLayer, sig]);
    await store.tag(a.root.desc, 'v1');
    const fetched = await runTool('oras', ['manifest', 'fetch', '--oci-layout', `${root}:v1`]);
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stdout).toBe(Buffer.from(a.root.bytes).toString());
    const discover = await runTool('oras', ['discover', '--oci-layout', `${root}:v1`, '--format', 'json']);
    expect(discover.code, discover.stderr).toBe(0);
    const tree = JSON.parse(discover.stdout) as { referrers: { digest: string; artifactType: string }[] };
    expect(tree.referrers.map((r) => [r.digest, r.artifactType])).toEqual([[sig.desc.digest, MediaType.sigstoreBundleV03]]);
    const blobOut = await runTool('oras', ['blob', 'fetch', '--oci-layout', `${root}@${a.nodes[1]!.desc.digest}`, '--output', '-']);
    expect(blobOut.stdout).toBe('layer one of a');
  });
});

describe.skipIf(!peerAvailable('skopeo', 'layout interop with skopeo'))('OciLayoutStore interop with skopeo', () => {
  /** A real (tiny) container image: skopeo wants an image config and tar layers. */
  async function image(store: OciLayoutStore): Promise<{ root: ReturnType<typeof manifest>; layer: ReturnType<typeof blob> }> {
    const tar = tarOf('hello.txt', 'hello from an image\n');
    const layer = blob(tar, MediaType.layerTar);
    const config = blob(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.desc.digest] }, config: {} }),
      MediaType.imageConfig,
    );
    const root = manifest(config, [layer]);
    await pushAll(store, [config, layer, root]);
    return { root, layer };
  }

  it('skopeo copies from our layout, and we read the layout skopeo wrote', async () => {
    const ours = new OciLayoutStore(path.join(dir, 'ours'));
    const { root, layer } = await image(ours);
    await ours.tag(root.desc, 'v1');
    const copy = await runTool('skopeo', ['--insecure-policy', 'copy', '--preserve-digests', `oci:${dir}/ours:v1`, `oci:${dir}/theirs:copied`]);
    expect(copy.code, copy.stderr).toBe(0);
    const theirs = new OciLayoutStore(path.join(dir, 'theirs'), { readOnly: true });
    const resolved = await theirs.resolve('copied');
    // --preserve-digests: skopeo must keep the manifest byte for byte.
    expect(resolved.digest).toBe(root.desc.digest);
    expect(await collect(theirs.tags())).toEqual(['copied']);
    expect(await text(await theirs.fetch(layer.desc))).toContain('hello from an image');
    const inspect = await runTool('skopeo', ['inspect', '--raw', `oci:${dir}/ours:v1`]);
    expect(inspect.stdout).toBe(Buffer.from(root.bytes).toString());
  });
});

/** A one-file ustar archive. */
function tarOf(name: string, content: string): Buffer {
  const body = Buffer.from(content);
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header, body, pad, Buffer.alloc(1024)]);
}
