import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MemoryStore } from '../../src/store/memory.js';
import { openPack } from '../../src/pack/read.js';
import { pushPack } from '../../src/publish/push.js';
import { signArtifact, signPack, verifyArtifact, parseTrustedRoot, type TrustedRoot } from '../../src/sign/index.js';
import { GITHUB_IDENTITY, GITHUB_ISSUER, startMockSigstore, type MockSigstore } from '../../../../test/harness/sigstore.js';
import { makePack } from './pack-fixture.js';
import { MediaType } from '../../src/oci/media-types.js';
import { createHash } from 'node:crypto';

let sigstore: MockSigstore;
let root: TrustedRoot;
let dir: string;
beforeAll(async () => {
  sigstore = await startMockSigstore();
  root = parseTrustedRoot(JSON.stringify(sigstore.trustedRoot));
  dir = await mkdtemp(path.join(tmpdir(), 'epack-remote-pack-'));
});
afterAll(async () => {
  await sigstore?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function push(store: MemoryStore, file: string, tag: string): Promise<string> {
  const pack = await openPack(file);
  try {
    return (await pushPack(store, pack, { tags: [tag] })).digest;
  } finally {
    await pack.close();
  }
}

describe('verifying a pack pushed to a store', () => {
  it('counts the embedded attestations, next to referrer signatures', async () => {
    const file = await makePack(path.join(dir, 'a.epack'));
    await signPack(file, { identity: { identityToken: sigstore.githubToken() }, fulcioURL: sigstore.fulcioURL, tlogUpload: false, tsaURL: sigstore.tsaURL });
    const store = new MemoryStore('mem');
    const digest = await push(store, file, 'v1');
    const policy = { identities: [{ subject: GITHUB_IDENTITY, issuer: GITHUB_ISSUER }] };
    const verdict = await verifyArtifact(store, 'v1', { trustedRoot: root, policy });
    expect(verdict.signatures.map((s) => s.source)).toEqual([expect.stringMatching(/^embedded:attestations\/[0-9a-f]{64}\.sigstore\.json$/)]);
    expect(verdict.pack).toMatchObject({ artifacts: 1, attestations: [expect.any(String)] });

    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await signArtifact(store, 'v1', { keyPem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), tlogUpload: false });
    const both = await verifyArtifact(store, digest, {
      trustedRoot: root,
      policy: { ...policy, key: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(), threshold: 2 },
    });
    expect(both.signatures).toHaveLength(2);
    // Without the embedded attestation only the key referrer is left, and this policy trusts no key.
    expect(await verifyArtifact(store, 'v1', { trustedRoot: root, policy, embedded: false }).catch((e: { code: string }) => e.code)).toBe('key_mismatch');
  });

  it('a pack artifact whose layers disagree with manifest.json fails', async () => {
    const file = await makePack(path.join(dir, 'b.epack'));
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await signPack(file, { keyPem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), tlogUpload: false });
    const store = new MemoryStore('mem');
    const digest = await push(store, file, 'v1');
    // A forged manifest: same config (manifest.json) and attestation, one layer swapped for other bytes.
    const chunks: Buffer[] = [];
    for await (const c of await store.fetch({ mediaType: MediaType.imageManifest, digest, size: (await store.resolve('v1')).size })) chunks.push(Buffer.from(c as Uint8Array));
    const manifest = JSON.parse(Buffer.concat(chunks).toString());
    const evil = Buffer.from('{"bom":"evil"}');
    const evilDigest = `sha256:${createHash('sha256').update(evil).digest('hex')}`;
    await store.push({ mediaType: 'application/json', digest: evilDigest, size: evil.length }, evil);
    manifest.layers[0].digest = evilDigest;
    manifest.layers[0].size = evil.length;
    const bytes = Buffer.from(JSON.stringify(manifest));
    const desc = { mediaType: MediaType.imageManifest, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length };
    await store.push(desc, bytes);
    await store.tag(desc, 'forged');
    await expect(
      verifyArtifact(store, 'forged', { offline: true, policy: { key: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString() } }),
    ).rejects.toMatchObject({ code: 'pack_layer_mismatch', kind: 'verification' });
  });
});
