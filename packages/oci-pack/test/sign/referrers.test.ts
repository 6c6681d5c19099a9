import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MemoryStore } from '../../src/store/memory.js';
import { OciLayoutStore } from '../../src/store/oci-layout.js';
import type { GraphTarget } from '../../src/store/types.js';
import { MediaType, EMPTY_JSON, EMPTY_JSON_DIGEST } from '../../src/oci/media-types.js';
import { attachAttestation, signArtifact, verifyArtifact, parseTrustedRoot } from '../../src/sign/index.js';
import type { TrustedRoot } from '../../src/sign/index.js';
import { EMAIL_IDENTITY, EMAIL_ISSUER, GITHUB_IDENTITY, GITHUB_ISSUER, startMockSigstore } from '../../../../test/harness/sigstore.js';
import type { MockSigstore } from '../../../../test/harness/sigstore.js';
import { createHash } from 'node:crypto';

const enc = new TextEncoder();
const digestOf = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function pushImage(store: GraphTarget, tag: string, content = 'hello'): Promise<string> {
  const layer = enc.encode(content);
  await store.push({ mediaType: MediaType.empty, digest: EMPTY_JSON_DIGEST, size: 2 }, EMPTY_JSON);
  await store.push({ mediaType: 'text/plain', digest: digestOf(layer), size: layer.length }, layer);
  const manifest = enc.encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.imageManifest,
      artifactType: 'application/vnd.example',
      config: { mediaType: MediaType.empty, digest: EMPTY_JSON_DIGEST, size: 2 },
      layers: [{ mediaType: 'text/plain', digest: digestOf(layer), size: layer.length }],
    }),
  );
  const desc = { mediaType: MediaType.imageManifest, digest: digestOf(manifest), size: manifest.length };
  await store.push(desc, manifest);
  await store.tag(desc, tag);
  return desc.digest;
}

function keyPair(): { priv: string; pub: string } {
  const p = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { priv: p.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), pub: p.publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

let sigstore: MockSigstore;
let root: TrustedRoot;
let dir: string;
beforeAll(async () => {
  sigstore = await startMockSigstore();
  root = parseTrustedRoot(JSON.stringify(sigstore.trustedRoot));
  dir = await mkdtemp(path.join(tmpdir(), 'epack-sign-ref-'));
});
afterAll(async () => {
  await sigstore?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const stores: Array<[string, () => Promise<GraphTarget>]> = [
  ['memory store', async () => new MemoryStore('mem')],
  ['OCI layout', async () => new OciLayoutStore(await mkdtemp(path.join(dir, 'layout-')))],
];

for (const [name, open] of stores) {
  describe(`referrer signatures in a ${name}`, () => {
    it('keyless sign attaches a cosign v3 referrer that verifies with an identity policy', async () => {
      const store = await open();
      const digest = await pushImage(store, 'v1');
      const result = await signArtifact(store, 'v1', {
        identity: { identityToken: sigstore.githubToken() },
        fulcioURL: sigstore.fulcioURL,
        rekorURL: sigstore.rekorURL,
        tlogEntryType: 'intoto',
      });
      expect(result.subject.digest).toBe(digest);
      const manifest = JSON.parse(Buffer.from(await readAll(store, result.referrer)).toString());
      expect(manifest.artifactType).toBe(MediaType.sigstoreBundleV03);
      expect(manifest.config).toEqual({ mediaType: MediaType.empty, digest: EMPTY_JSON_DIGEST, size: 2 });
      expect(manifest.layers).toHaveLength(1);
      expect(manifest.layers[0].mediaType).toBe(MediaType.sigstoreBundleV03);
      expect(manifest.subject.digest).toBe(digest);
      expect(manifest.annotations['dev.sigstore.bundle.content']).toBe('dsse-envelope');
      expect(manifest.annotations['dev.sigstore.bundle.predicateType']).toBe('https://sigstore.dev/cosign/sign/v1');
      expect(manifest.annotations['org.opencontainers.image.created']).toMatch(/^\d{4}-\d\d-\d\dT/);

      const verdict = await verifyArtifact(store, 'v1', {
        trustedRoot: root,
        policy: { identities: [{ subject: GITHUB_IDENTITY, issuer: GITHUB_ISSUER }] },
      });
      expect(verdict.signatures).toHaveLength(1);
      expect(verdict.signatures[0]!.identity).toBe(GITHUB_IDENTITY);
      expect(verdict.signatures[0]!.ruleMet).toContain(GITHUB_IDENTITY);
      expect(verdict.policy.satisfied).toBe(true);

      await expect(
        verifyArtifact(store, 'v1', { trustedRoot: root, policy: { identities: [{ subject: EMAIL_IDENTITY, issuer: EMAIL_ISSUER }] } }),
      ).rejects.toMatchObject({ code: 'identity_mismatch' });
      await expect(verifyArtifact(store, 'v1', { trustedRoot: root })).rejects.toMatchObject({ code: 'policy_required' });
    });

    it('a signature of another artifact does not verify this one', async () => {
      const store = await open();
      await pushImage(store, 'a', 'A');
      const bDigest = await pushImage(store, 'b', 'B');
      const { priv, pub } = keyPair();
      const signed = await signArtifact(store, 'a', { keyPem: priv, tlogUpload: false });
      // Re-attach a's bundle as a referrer of b: the statement names a's digest.
      const manifest = JSON.parse(Buffer.from(await readAll(store, signed.referrer)).toString());
      manifest.subject = { mediaType: MediaType.imageManifest, digest: bDigest, size: (await store.resolve('b')).size };
      const bytes = enc.encode(JSON.stringify(manifest));
      await store.push({ mediaType: MediaType.imageManifest, digest: digestOf(bytes), size: bytes.length }, bytes);
      await expect(verifyArtifact(store, 'b', { policy: { key: pub } })).rejects.toMatchObject({ code: 'subject_mismatch' });
      await expect(verifyArtifact(store, 'a', { policy: { key: pub } })).resolves.toMatchObject({ policy: { satisfied: true } });
    });

    it('key signatures: right key verifies, wrong key fails, unsigned has no signatures', async () => {
      const store = await open();
      await pushImage(store, 'k');
      await pushImage(store, 'unsigned', 'other');
      const a = keyPair();
      const b = keyPair();
      await signArtifact(store, 'k', { keyPem: a.priv, tlogUpload: false });
      const ok = await verifyArtifact(store, 'k', { offline: true, policy: { key: a.pub } });
      expect(ok.signatures[0]!.mode).toBe('key');
      await expect(verifyArtifact(store, 'k', { offline: true, policy: { key: b.pub } })).rejects.toMatchObject({ code: 'signature_invalid' });
      await expect(verifyArtifact(store, 'unsigned', { offline: true, policy: { key: a.pub } })).rejects.toMatchObject({ code: 'no_signatures' });
    });

    it('threshold: two identities must both sign', async () => {
      const store = await open();
      await pushImage(store, 't');
      const policy = {
        identities: [
          { subject: GITHUB_IDENTITY, issuer: GITHUB_ISSUER },
          { subjectRegExp: '.*@example\\.com', issuer: EMAIL_ISSUER },
        ],
        threshold: 2,
      };
      await signArtifact(store, 't', { identity: { identityToken: sigstore.githubToken() }, fulcioURL: sigstore.fulcioURL, tlogUpload: false, tsaURL: sigstore.tsaURL });
      await expect(verifyArtifact(store, 't', { trustedRoot: root, policy })).rejects.toMatchObject({ code: 'threshold_not_met' });
      await signArtifact(store, 't', { identity: { identityToken: sigstore.emailToken() }, fulcioURL: sigstore.fulcioURL, tlogUpload: false, tsaURL: sigstore.tsaURL });
      const verdict = await verifyArtifact(store, 't', { trustedRoot: root, policy });
      expect(verdict.policy.met).toHaveLength(2);
    });

    it('attestations keep their predicate type and are checked separately', async () => {
      const store = await open();
      const digest = await pushImage(store, 'att');
      const { priv, pub } = keyPair();
      const res = await attachAttestation(store, 'att', JSON.stringify({ predicateType: 'https://slsa.dev/provenance/v1', predicate: { buildType: 'x' } }), {
        keyPem: priv,
        tlogUpload: false,
      });
      expect(res.predicateType).toBe('https://slsa.dev/provenance/v1');
      await expect(verifyArtifact(store, 'att', { policy: { key: pub } })).rejects.toMatchObject({ code: 'no_signatures' });
      const verdict = await verifyArtifact(store, 'att', { policy: { key: pub }, predicateType: 'https://slsa.dev/provenance/v1' });
      expect(verdict.signatures[0]!.subjectDigest).toBe(digest);
      const wrong = JSON.stringify({ predicateType: 'x', subject: [{ name: 'n', digest: { sha256: 'ab'.repeat(32) } }] });
      await expect(attachAttestation(store, 'att', wrong, { keyPem: priv, tlogUpload: false })).rejects.toMatchObject({ code: 'subject_mismatch' });
    });
  });
}

it('a foreign CA is not trusted', async () => {
  const other = await startMockSigstore();
  try {
    const store = new MemoryStore('mem');
    await pushImage(store, 'x');
    // Certificate from a foreign Fulcio, timestamp from the trusted TSA: only the CA is wrong.
    await signArtifact(store, 'x', { identity: { identityToken: other.emailToken() }, fulcioURL: other.fulcioURL, tlogUpload: false, tsaURL: sigstore.tsaURL });
    await expect(
      verifyArtifact(store, 'x', { trustedRoot: root, policy: { identities: [{ subject: EMAIL_IDENTITY, issuer: EMAIL_ISSUER }] } }),
    ).rejects.toMatchObject({ code: 'untrusted_root' });
  } finally {
    await other.close();
  }
});

it('a certificate used outside its validity window is rejected', async () => {
  // The TSA vouches for a time an hour after the 10-minute certificate expired.
  const skewed = await startMockSigstore({ tsaClock: new Date(Date.now() + 3600_000) });
  try {
    const skewedRoot = parseTrustedRoot(JSON.stringify(skewed.trustedRoot));
    const store = new MemoryStore('mem');
    await pushImage(store, 'x');
    await signArtifact(store, 'x', { identity: { identityToken: skewed.emailToken() }, fulcioURL: skewed.fulcioURL, tlogUpload: false, tsaURL: skewed.tsaURL });
    await expect(
      verifyArtifact(store, 'x', { trustedRoot: skewedRoot, policy: { identities: [{ subject: EMAIL_IDENTITY, issuer: EMAIL_ISSUER }] } }),
    ).rejects.toMatchObject({ code: 'certificate_expired' });
  } finally {
    await skewed.close();
  }
});

async function readAll(store: GraphTarget, desc: { mediaType: string; digest: string; size: number }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await store.fetch(desc)) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

it('bounds the number of signature referrers it reads', async () => {
  const store = new MemoryStore('mem');
  await pushImage(store, 'many');
  const { priv, pub } = keyPair();
  for (let i = 0; i < 3; i++) await signArtifact(store, 'many', { keyPem: priv, tlogUpload: false, created: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) });
  const verdict = await verifyArtifact(store, 'many', { policy: { key: pub }, maxSignatures: 2 });
  expect(verdict.signatures).toHaveLength(2);
  expect(verdict.failures).toEqual([expect.objectContaining({ code: 'too_many_signatures' })]);
});
