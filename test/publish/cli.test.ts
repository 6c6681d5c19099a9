/**
 * `epack push` / `epack pull` end to end against docker-registry 2.8:
 * references as packs, remotes with --env, and the failures users meet: one
 * clear line, documented exit code. Peer interop is in interop.test.ts.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computePackDigest } from '../../packages/oci-pack/src/pack/digest.js';
import { writeZipAtomic } from '../../packages/oci-pack/src/pack/zip-write.js';
import { digestOf } from '../../packages/oci-pack/src/oci/digest.js';
import { createSandbox, runEpack, type Sandbox } from '../harness/cli.js';
import { startRegistry, stopAllRegistries, type RunningRegistry } from '../harness/registries.js';
import { DEMO_EVIDENCE, buildDemoPacks, type DemoPacks } from './fixtures.js';
import { startRejectingRegistry } from './rejecting-registry.js';

let packs: DemoPacks;
let reg: RunningRegistry | undefined;
let sandbox: Sandbox;

beforeAll(async () => {
  packs = await buildDemoPacks();
  reg = await startRegistry('distribution2', { auth: 'basic' });
  sandbox = createSandbox();
});
afterAll(async () => {
  await stopAllRegistries();
  sandbox?.dispose();
});

const epack = (args: string[], cwd = packs.dir) => runEpack(args, { sandbox, cwd, ...(reg ? { dockerConfigDir: reg.dockerConfigDir } : {}) });
const oneLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
};

describe('epack push / pull', () => {
  it('pushes with labels, prints digest and every tag, pulls byte-identical', async (ctx) => {
    if (!reg) return ctx.skip();
    const ref = `${reg.host}/acme/evidence:2026-11`;
    const push = await epack(['push', ref, packs.v1, '--label', 'soc2', '-a', 'com.acme.team=platform', '--json']);
    expect(push.stderr).toBe('');
    expect(push.code).toBe(0);
    const pushed = JSON.parse(push.stdout);
    expect(pushed).toMatchObject({
      artifactType: 'application/vnd.evidencepack.pack.v1',
      tags: ['2026-11', 'soc2'],
      references: [`${reg.host}/acme/evidence:2026-11`, `${reg.host}/acme/evidence:soc2`],
      reference: `${reg.host}/acme/evidence@${pushed.digest}`,
      stream: 'acme/demo',
    });
    const out = path.join(packs.dir, 'pulled.epack');
    const pull = await epack(['pull', `${reg.host}/acme/evidence:soc2`, '-o', out, '--json']);
    expect(pull.code).toBe(0);
    expect(JSON.parse(pull.stdout)).toMatchObject({ digest: pushed.digest, out, artifacts: 4, attestations: 0 });
    expect((await readFile(out)).equals(await readFile(packs.v1))).toBe(true);

    const text = await epack(['pull', `${reg.host}/acme/evidence@${pushed.digest}`, '-o', path.join(packs.dir, 'by-digest.epack')]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`pulled ${reg.host}/acme/evidence@${pushed.digest}`);
  });

  it('inspect, list and diff of references read only manifests and configs; extract fetches one blob', async (ctx) => {
    if (!reg) return ctx.skip();
    const repo = `${reg.host}/acme/evidence`;
    for (const [tag, file] of [['2026-11', packs.v1], ['v2', packs.v2]] as const) {
      const push = await epack(['push', `${repo}:${tag}`, file]);
      expect(push.code, push.stderr).toBe(0);
    }
    const blobGets = (): string[] => [...reg!.log().matchAll(/"GET \/v2\/acme\/evidence\/blobs\/(sha256:[0-9a-f]{64}) HTTP/g)].map((m) => m[1]!);
    const before = blobGets().length;
    const inspect = await epack(['inspect', `${repo}:2026-11`, '--json']);
    expect(inspect.code, inspect.stderr).toBe(0);
    const list = await epack(['list', 'artifacts', `${repo}:2026-11`]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('artifacts/demo-evidence/sbom.cdx.json');
    const diff = await epack(['diff', `${repo}:2026-11`, `${repo}:v2`]);
    expect(diff.stdout).toContain('artifacts/demo-evidence/scan.sarif');
    await new Promise((r) => setTimeout(r, 200)); // the access log is written after the response
    const reads = blobGets().slice(before);
    // one config per opened reference: inspect 1, list 1, diff 2; no artifact blob
    expect(reads).toHaveLength(4);
    expect(new Set(reads).size).toBe(2);

    const beforeExtract = blobGets().length;
    const dest = path.join(packs.dir, 'extracted');
    const extract = await epack(['extract', `${repo}:2026-11`, 'demo-evidence/posture.json', '-o', dest]);
    expect(extract.code, extract.stderr).toBe(0);
    expect((await readFile(path.join(dest, 'artifacts/demo-evidence/posture.json'))).equals(await readFile(path.join(DEMO_EVIDENCE, 'posture.json')))).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    const extractReads = blobGets().slice(beforeExtract);
    expect(extractReads).toHaveLength(2); // the config, then the one artifact
    expect(extractReads[1]).toBe(digestOf(await readFile(path.join(DEMO_EVIDENCE, 'posture.json'))));
  });

  it('pull --verify keeps the pack only when its signatures (or the artifact signature referrers) satisfy the policy', async (ctx) => {
    if (!reg) return ctx.skip();
    const keys = (name: string) => {
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const priv = path.join(packs.dir, `${name}.pem`);
      const pub = path.join(packs.dir, `${name}.pub`);
      return { priv, pub, write: () => Promise.all([writeFile(priv, pair.privateKey.export({ type: 'pkcs8', format: 'pem' })), writeFile(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }))]) };
    };
    const signer = keys('signer');
    const stranger = keys('stranger');
    await Promise.all([signer.write(), stranger.write()]);
    // an unsigned pack, signed on push: verified through the referrer
    const repo = `${reg.host}/acme/verified`;
    const push = await epack(['push', `${repo}:ref-signed`, packs.v1, '--key', signer.priv, '--tlog-upload=false', '--json']);
    expect(push.code, push.stderr).toBe(0);
    const out = path.join(packs.dir, 'verified.epack');
    const good = await epack(['pull', `${repo}:ref-signed`, '-o', out, '--verify', '--key', signer.pub, '--json']);
    expect(good.code, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout).verification).toMatchObject({ source: 'referrers', policy: { satisfied: true } });
    const bad = path.join(packs.dir, 'rejected.epack');
    const wrong = await epack(['pull', `${repo}:ref-signed`, '-o', bad, '--verify', '--key', stranger.pub]);
    expect(wrong.code).toBe(1);
    oneLine(wrong.stderr);
    expect(existsSync(bad)).toBe(false);
    // a signed pack: verified through its embedded attestation
    const signedPack = path.join(packs.dir, 'signed.epack');
    await writeFile(signedPack, await readFile(packs.v1));
    const sign = await epack(['sign', signedPack, '--key', signer.priv, '--tlog-upload=false', '--yes']);
    expect(sign.code, sign.stderr).toBe(0);
    expect((await epack(['push', `${repo}:pack-signed`, signedPack])).code).toBe(0);
    const embedded = await epack(['pull', `${repo}:pack-signed`, '-o', path.join(packs.dir, 'embedded.epack'), '--verify', '--key', signer.pub]);
    expect(embedded.code, embedded.stderr).toBe(0);
    expect(embedded.stdout).toContain("signatures (the pack's attestations; 1 of 1 required)");
    const needsPolicy = await epack(['pull', `${repo}:pack-signed`, '-o', bad, '--verify']);
    expect(needsPolicy.code).toBe(2);
    expect(oneLine(needsPolicy.stderr)).toMatch(/policy_required/);
  });

  it('pushes to a remote of epack.yaml with --env, and names the known remotes for a missing one', async (ctx) => {
    if (!reg) return ctx.skip();
    const project = path.join(packs.dir, 'project');
    await mkdir(project, { recursive: true });
    await writeFile(
      path.join(project, 'epack.yaml'),
      `remotes:\n  prod:\n    registry: ${reg.host}/acme/prod\n    labels: [latest]\nenvironments:\n  staging:\n    remotes:\n      prod:\n        registry: ${reg.host}/acme/staging\n        labels: [staging]\n`,
    );
    await writeFile(path.join(project, 'pack.epack'), await readFile(packs.v1));
    // exactly the line of the issue: the staging repository, the pack's release tag, soc2 and staging's label (not prod's "latest")
    const push = await epack(['push', 'prod', 'pack.epack', '--label', 'soc2', '--env', 'staging'], project);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^pushed ${reg.host}/acme/staging@sha256:[0-9a-f]{64}$`)),
      `tagged ${reg.host}/acme/staging:2026-11-01T12-00-00Z`,
      `tagged ${reg.host}/acme/staging:soc2`,
      `tagged ${reg.host}/acme/staging:staging`,
    ]);
    const prodBefore = await epack(['pull', 'prod:soc2', '-o', path.join(project, 'not-there.epack')], project);
    expect(prodBefore.code).toBe(3);
    const again = await epack(['push', 'prod', 'pack.epack', '--label', 'soc2', '--env', 'staging', '--json'], project);
    expect(JSON.parse(again.stdout)).toMatchObject({
      repository: `${reg.host}/acme/staging`,
      tags: ['2026-11-01T12-00-00Z', 'soc2', 'staging'],
      remote: { name: 'prod', environment: 'staging' },
      blobsPushed: 0,
      blobsSkipped: 5,
      // the tags pushed already held this manifest: no blob needed a HEAD
      blobsKnownFromBase: 5,
    });
    const prod = await epack(['push', 'prod', packs.v1, '--json'], project);
    expect(JSON.parse(prod.stdout).references).toEqual([`${reg.host}/acme/prod:2026-11-01T12-00-00Z`, `${reg.host}/acme/prod:latest`]);

    const listed = await epack(['remotes', '--env', 'staging', '--json'], project);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ environment: 'staging', environments: ['staging'], remotes: [{ name: 'prod', registry: `${reg.host}/acme/staging`, labels: ['staging'] }] });

    const pulled = path.join(project, 'from-remote.epack');
    const pull = await epack(['pull', 'prod:soc2', '--env', 'staging', '-o', pulled, '--json'], project);
    expect(pull.code, pull.stderr).toBe(0);
    expect(JSON.parse(pull.stdout)).toMatchObject({ reference: expect.stringContaining(`${reg.host}/acme/staging@sha256:`), remote: { name: 'prod', environment: 'staging' } });
    expect((await readFile(pulled)).equals(await readFile(packs.v1))).toBe(true);

    const missing = await epack(['push', 'qa', packs.v1], project);
    expect(missing.code).toBe(3);
    expect(oneLine(missing.stderr)).toMatch(/remote_not_found: .*"qa".*known remotes: prod/);
    const badEnv = await epack(['push', 'prod', packs.v1, '--env', 'dev'], project);
    expect(badEnv.code).toBe(3);
    expect(oneLine(badEnv.stderr)).toMatch(/environment_not_found.*known environments: staging/);
    await writeFile(path.join(project, 'typo.yaml'), 'remotes:\n  prod:\n    registy: x/y\n');
    const typo = await epack(['push', 'prod', packs.v1, '--config', 'typo.yaml'], project);
    expect(typo.code).toBe(2);
    expect(oneLine(typo.stderr)).toMatch(/invalid_config: .*typo\.yaml: unknown key "remotes\.prod\.registy"/);
  });

  it('push --base skips the checks of blobs an earlier release lists (registry and OCI layout)', async (ctx) => {
    if (!reg) return ctx.skip();
    for (const repo of [`${reg.host}/acme/base-flag`, `oci:${path.join(packs.dir, 'base-layout')}`]) {
      const first = await epack(['push', `${repo}:v1`, packs.v1]);
      expect(first.code, first.stderr).toBe(0);
      const next = await epack(['push', `${repo}:v2`, packs.v2, '--base', 'v1', '--json']);
      expect(next.code, next.stderr).toBe(0);
      expect(JSON.parse(next.stdout)).toMatchObject({ blobsPushed: 2, blobsSkipped: 3, blobsKnownFromBase: 3 });
      // a base that is not there is no error: every blob is checked as usual
      const missing = await epack(['push', `${repo}:v3`, packs.v2, '--base', 'never-pushed', '--json']);
      expect(missing.code, missing.stderr).toBe(0);
      expect(JSON.parse(missing.stdout)).toMatchObject({ blobsPushed: 0, blobsSkipped: 5, blobsKnownFromBase: 0 });
      const bad = await epack(['push', `${repo}:v4`, packs.v2, '--base', 'not a tag!']);
      expect(bad.code).toBe(2);
      expect(oneLine(bad.stderr)).toMatch(/^epack: .*invalid/i);
    }
  });

  it('pull --concurrency downloads large blobs ahead into staging files and writes the same pack', async (ctx) => {
    if (!reg) return ctx.skip();
    const inputs = path.join(packs.dir, 'large-inputs');
    await mkdir(inputs, { recursive: true });
    for (let i = 0; i < 4; i++) await writeFile(path.join(inputs, `part-${i}.bin`), randomBytes(2 * 1024 * 1024 + i));
    await writeFile(path.join(inputs, 'small.json'), '{"small":true}');
    const pack = path.join(packs.dir, 'large.epack');
    const build = await epack(['build', pack, inputs, '--stream', 'acme/large']);
    expect(build.code, build.stderr).toBe(0);
    const ref = `${reg.host}/acme/large:v1`;
    expect((await epack(['push', ref, pack])).code).toBe(0);
    for (const concurrency of ['1', '3']) {
      const out = path.join(packs.dir, `large-${concurrency}.epack`);
      const pull = await epack(['pull', ref, '-o', out, '--concurrency', concurrency]);
      expect(pull.code, pull.stderr).toBe(0);
      expect((await readFile(out)).equals(await readFile(pack))).toBe(true);
    }
    const bad = await epack(['pull', ref, '-o', path.join(packs.dir, 'never.epack'), '--concurrency', '0']);
    expect(bad.code).toBe(2);
    expect(oneLine(bad.stderr)).toMatch(/invalid_concurrency/);
    expect(existsSync(path.join(packs.dir, 'never.epack'))).toBe(false);
  });

  it('refuses to push a pack whose artifact does not match its manifest: exit 2, nothing tagged', async (ctx) => {
    if (!reg) return ctx.skip();
    const good = 'expected content\n';
    const bad = 'tampered content\n';
    const artifact = { type: 'embedded', path: 'artifacts/a.txt', digest: digestOf(good), size: good.length };
    const manifest = { spec_version: '1.0', stream: 'acme/demo', generated_at: '2026-11-01T12:00:00Z', pack_digest: computePackDigest([artifact]), sources: [], artifacts: [artifact] };
    const file = path.join(packs.dir, 'tampered.epack');
    const entry = (name: string, body: string) => ({ kind: 'file' as const, name, size: Buffer.byteLength(body), compress: false, open: async () => Readable.from([Buffer.from(body)]) });
    await writeZipAtomic(file, [entry('manifest.json', JSON.stringify(manifest)), { kind: 'directory', name: 'artifacts/' }, entry('artifacts/a.txt', bad)]);
    const push = await epack(['push', `${reg.host}/acme/tampered:v1`, file]);
    expect(oneLine(push.stderr)).toMatch(/digest_mismatch: artifacts\/a\.txt has digest/);
    expect(push.code).toBe(2);
    const resolve = await epack(['pull', `${reg.host}/acme/tampered:v1`, '-o', path.join(packs.dir, 't.epack')]);
    expect(resolve.code).toBe(3);
  });

  it('a tampered large artifact (streamed upload, hashed once) is never stored: neither its digest nor the claimed one', async (ctx) => {
    if (!reg) return ctx.skip();
    const good = randomBytes(3 * 1024 * 1024);
    const bad = Buffer.from(good);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0xff, bad.length - 1); // only the last chunk differs
    const artifact = { type: 'embedded', path: 'artifacts/big.bin', digest: digestOf(good), size: good.length };
    const manifest = { spec_version: '1.0', stream: 'acme/demo', generated_at: '2026-11-01T12:00:00Z', pack_digest: computePackDigest([artifact]), sources: [], artifacts: [artifact] };
    const file = path.join(packs.dir, 'tampered-big.epack');
    const manifestText = JSON.stringify(manifest);
    await writeZipAtomic(file, [
      { kind: 'file', name: 'manifest.json', size: Buffer.byteLength(manifestText), compress: false, open: async () => Readable.from([Buffer.from(manifestText)]) },
      { kind: 'directory', name: 'artifacts/' },
      { kind: 'file', name: 'artifacts/big.bin', size: bad.length, compress: false, open: async () => Readable.from([bad]) },
    ]);
    const push = await epack(['push', `${reg.host}/acme/tampered-big:v1`, file]);
    expect(oneLine(push.stderr)).toMatch(/digest_mismatch: artifacts\/big\.bin has digest/);
    expect(push.code).toBe(2);
    for (const digest of [digestOf(good), digestOf(bad)]) {
      const blob = await epack(['blob', 'fetch', `${reg.host}/acme/tampered-big@${digest}`, '-o', path.join(packs.dir, 'blob.bin')]);
      expect(blob.code, `${digest}: ${blob.stderr}`).toBe(3);
    }
  });

  it('reports a registry that rejects the manifest: exit 6, one line, no tag', async () => {
    const rejecting = await startRejectingRegistry();
    try {
      const push = await epack(['push', `${rejecting.host}/acme/evidence:v1`, packs.v1, '--label', 'soc2']);
      expect(push.code).toBe(6);
      expect(oneLine(push.stderr)).toMatch(/manifest_invalid: .*MANIFEST_INVALID: artifact type application\/vnd\.evidencepack\.pack\.v1 is not allowed/);
      // one PUT, by the first tag (manifest and tag in one request), refused; the label is never tried
      expect(rejecting.manifestPuts).toEqual(['v1']);
    } finally {
      await rejecting.close();
    }
  });

  it('reports a missing pack file and a missing tag with exit 3', async (ctx) => {
    if (!reg) return ctx.skip();
    const noFile = await epack(['push', `${reg.host}/acme/evidence:v9`, path.join(packs.dir, 'nope.epack')]);
    expect(noFile.code).toBe(3);
    oneLine(noFile.stderr);
    const noTag = await epack(['pull', `${reg.host}/acme/evidence:nope`, '-o', path.join(packs.dir, 'nope.epack')]);
    expect(noTag.code).toBe(3);
    oneLine(noTag.stderr);
    expect(existsSync(path.join(packs.dir, 'nope.epack'))).toBe(false);
  });
});
