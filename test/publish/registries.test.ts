/**
 * push / pull / remote reads against real registries (docker-registry 2.8
 * and olareg in every auth mode, distribution 3), checked through a counting
 * wrapper around the store: inspect, list and diff read the manifest and
 * config only; extracting one artifact fetches one blob.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPack } from '../../packages/oci-pack/src/pack/read.js';
import { diffPacks } from '../../packages/oci-pack/src/pack/diff.js';
import { openRemotePack } from '../../packages/oci-pack/src/publish/remote-pack.js';
import { pushPack } from '../../packages/oci-pack/src/publish/push.js';
import type { Deleter } from '../../packages/oci-pack/src/store/types.js';
import { pullPackRef, pushPackFile } from '../../packages/oci-pack/src/publish/transfer.js';
import { openTarget, TargetPool, type OpenTargetOptions } from '../../packages/oci-pack/src/store/open.js';
import { counting } from '../../packages/oci-pack/test/publish/counting.js';
import { registryMatrix, startRegistry, stopAllRegistries, type RunningRegistry } from '../harness/registries.js';
import { buildDemoPacks, type DemoPacks } from './fixtures.js';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { verifyArtifact } from '../../packages/oci-pack/src/sign/referrers.js';

let packs: DemoPacks;
beforeAll(async () => {
  packs = await buildDemoPacks();
});
afterAll(async () => {
  await stopAllRegistries();
});

const matrix = [
  ...registryMatrix({ kinds: ['distribution2', 'olareg'] }),
  ...registryMatrix({ kinds: ['distribution3'], auths: ['anonymous'] }),
];

for (const { kind, auth } of matrix) describe(`${kind}/${auth}`, () => {
  let reg: RunningRegistry | undefined;
  let options: OpenTargetOptions;
  const pool = new TargetPool();
  beforeAll(async () => {
    reg = await startRegistry(kind, { auth });
    if (reg) options = { configPath: path.join(reg.dockerConfigDir, 'config.json'), pool };
  });
  afterAll(async () => {
    await pool.close();
    await reg?.stop();
  });

  it('pushes, pulls byte-identical, and re-pushes only what changed', async (ctx) => {
    if (!reg) return ctx.skip();
    const repo = `${reg.host}/acme/evidence`;
    const pushed = await pushPackFile({ target: `${repo}:v1`, packPath: packs.v1, labels: ['soc2'], targetOptions: options, env: {} });
    expect(pushed).toMatchObject({ tags: ['v1', 'soc2'], blobsPushed: 5, blobsSkipped: 0, reference: `${repo}@${pushed.digest}` });
    for (const ref of [`${repo}:soc2`, `${repo}@${pushed.digest}`]) {
      const out = path.join(packs.dir, `${kind}-${auth}-${ref.length}.epack`);
      const pulled = await pullPackRef({ reference: ref, out, targetOptions: options });
      expect(pulled.digest).toBe(pushed.digest);
      expect((await readFile(out)).equals(await readFile(packs.v1))).toBe(true);
    }
    const again = await pushPackFile({ target: `${repo}:v2`, packPath: packs.v2, targetOptions: options, env: {} });
    expect(again).toMatchObject({ blobsPushed: 2, blobsSkipped: 3 });
  });

  it('re-push with a base checks only blobs the base does not list, and recovers when one of those is gone', async (ctx) => {
    if (!reg) return ctx.skip();
    const repo = `${reg.host}/acme/based`;
    await pushPackFile({ target: `${repo}:v1`, packPath: packs.v1, targetOptions: options, env: {} });
    const opened = await openTarget(repo, options);
    const v2 = await openPack(packs.v2);
    try {
      const { store, calls } = counting(opened.target);
      const result = await pushPack(store, v2, { tags: ['v2'], bases: ['v1', 'no-such-tag'] });
      // 3 layers are unchanged; only the changed artifact and the new config are checked (and sent)
      expect(result).toMatchObject({ blobsPushed: 2, blobsSkipped: 3, blobsKnownFromBase: 3 });
      expect(calls.filter((c) => c.op === 'exists')).toHaveLength(2);

      // a registry that lost a blob the base lists: the manifest PUT is refused, the blobs are checked and sent again
      const v1Manifest = (await openRemotePack(opened.target, 'v1')).imageManifest;
      const lost = v1Manifest.layers.find((l) => v2.artifacts.some((a) => a.digest === l.digest))!;
      await (opened.target as typeof opened.target & Deleter).delete(lost);
      expect(await opened.target.exists(lost)).toBe(false);
      const again = await pushPack(opened.target, v2, { tags: ['v3'], bases: ['v1'] });
      expect(again.digest).toBe(result.digest);
      const pulled = path.join(packs.dir, `${kind}-${auth}-based.epack`);
      await pullPackRef({ reference: `${repo}:v3`, out: pulled, targetOptions: options });
      expect((await readFile(pulled)).equals(await readFile(packs.v2))).toBe(true);
    } finally {
      await v2.close();
    }
  });

  it('signs on push: the signature referrer verifies with the public key (API or tag fallback)', async (ctx) => {
    if (!reg) return ctx.skip();
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyFile = path.join(packs.dir, `${kind}-${auth}-key.pem`);
    await writeFile(keyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const repo = `${reg.host}/acme/signed`;
    const pushed = await pushPackFile({ target: `${repo}:v1`, packPath: packs.v1, targetOptions: options, env: {}, signer: { key: keyFile, tlogUpload: false } });
    expect(pushed.signature?.mode).toBe('key');
    const opened = await openTarget(`${repo}@${pushed.digest}`, options);
    const verdict = await verifyArtifact(opened.target, pushed.digest, { policy: { key: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() }, offline: true });
    expect(verdict.subject.digest).toBe(pushed.digest);
    expect(verdict.signatures).toHaveLength(1);
  });

  it('mounts blobs from a sibling repository instead of uploading them', async (ctx) => {
    if (!reg) return ctx.skip();
    const source = `${reg.host}/acme/mount-source`;
    await pushPackFile({ target: `${source}:v1`, packPath: packs.v1, targetOptions: options, env: {} });
    const logBefore = reg.log().length;
    const result = await pushPackFile({ target: `${reg.host}/acme/mount-dest:v1`, packPath: packs.v1, mountFrom: 'acme/mount-source', targetOptions: options, env: {} });
    expect(result.blobsPushed).toBe(5);
    await new Promise((r) => setTimeout(r, 200));
    const log = reg.log().slice(logBefore);
    if (kind.startsWith('distribution')) {
      // every blob mounted (201 on the POST with mount=), none uploaded with PUT
      expect([...log.matchAll(/"POST \/v2\/acme\/mount-dest\/blobs\/uploads\/\?[^"]*mount=sha256[^"]* HTTP\/1\.1" 201/g)]).toHaveLength(5);
      expect(log).not.toMatch(/"PUT \/v2\/acme\/mount-dest\/blobs\/uploads/);
    }
    // the same through a remote's mount_from
    const project = path.join(packs.dir, `${kind}-mount-project`);
    await mkdir(project, { recursive: true });
    await writeFile(path.join(project, 'epack.yaml'), `remotes:\n  prod:\n    registry: ${reg.host}/acme/mount-remote\n    mount_from: acme/mount-source\n`);
    const logBeforeRemote = reg.log().length;
    await pushPackFile({ target: 'prod', tag: 'v1', packPath: packs.v1, cwd: project, targetOptions: options, env: {} });
    await new Promise((r) => setTimeout(r, 200));
    if (kind.startsWith('distribution')) {
      expect([...reg.log().slice(logBeforeRemote).matchAll(/"POST \/v2\/acme\/mount-remote\/blobs\/uploads\/\?[^"]*mount=sha256[^"]* HTTP\/1\.1" 201/g)]).toHaveLength(5);
    }
    const pulled = path.join(packs.dir, `${kind}-mounted.epack`);
    await pullPackRef({ reference: `${reg.host}/acme/mount-dest:v1`, out: pulled, targetOptions: options });
    expect((await readFile(pulled)).equals(await readFile(packs.v1))).toBe(true);
  });

  it('inspects, lists and diffs remotely from manifest and config only; extract fetches one blob', async (ctx) => {
    if (!reg) return ctx.skip();
    const repo = `${reg.host}/acme/evidence`;
    const opened = await openTarget(`${repo}:v1`, { ...options, readOnly: true });
    const { store, calls, fetched } = counting(opened.target);
    const a = await openRemotePack(store, 'v1');
    const b = await openRemotePack(store, 'v2');
    const local = await openPack(packs.v1);
    expect(a.manifestDigest).toBe(local.manifestDigest);
    expect(a.artifacts.map((x) => x.path)).toEqual(local.artifacts.map((x) => x.path));
    const diff = diffPacks(a, b);
    expect(JSON.stringify(diff)).toContain('artifacts/demo-evidence/scan.sarif');
    // resolve each tag once, then exactly the manifest and the config of each
    expect(calls.map((c) => c.op)).toEqual(['resolve', 'fetch', 'fetch', 'resolve', 'fetch', 'fetch']);
    expect(fetched()).toEqual([a.descriptor.digest, a.imageManifest.config.digest, b.descriptor.digest, b.imageManifest.config.digest]);
    calls.length = 0;
    const sbom = a.artifacts.find((x) => x.path.endsWith('sbom.cdx.json'))!;
    expect(await text(await a.openArtifact(sbom.path))).toBe(await text(await local.openArtifact(sbom.path)));
    expect(fetched()).toEqual([sbom.digest]);
    await local.close();
  });
});
