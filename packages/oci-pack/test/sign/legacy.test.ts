/**
 * Legacy cosign signatures (`sha256-<hex>.sig` tags) made keyless: built here
 * the way cosign 2 lays them out (simple-signing payload, signature,
 * certificate and Rekor bundle annotations) from a real keyless signature
 * against the private Sigstore, then read back through verifyArtifact.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { MessageSignatureBundleBuilder, RekorWitness } from '@sigstore/sign';
import { MemoryStore } from '../../src/store/memory.js';
import { MediaType, EMPTY_JSON, EMPTY_JSON_DIGEST } from '../../src/oci/media-types.js';
import { StaticTokenProvider, keylessSigner, parseTrustedRoot, verifyArtifact, type TrustedRoot } from '../../src/sign/index.js';
import { GITHUB_IDENTITY, GITHUB_ISSUER, startMockSigstore, type MockSigstore } from '../../../../test/harness/sigstore.js';

const enc = new TextEncoder();
const digestOf = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let sigstore: MockSigstore;
let root: TrustedRoot;
beforeAll(async () => {
  sigstore = await startMockSigstore();
  root = parseTrustedRoot(JSON.stringify(sigstore.trustedRoot));
});
afterAll(async () => sigstore?.close());

async function put(store: MemoryStore, mediaType: string, bytes: Uint8Array, annotations?: Record<string, string>) {
  const desc = { mediaType, digest: digestOf(bytes), size: bytes.length };
  await store.push(desc, bytes);
  return annotations ? { ...desc, annotations } : desc;
}

async function legacySign(store: MemoryStore, subjectDigest: string, payloadDigest = subjectDigest): Promise<void> {
  const payload = enc.encode(
    JSON.stringify({ critical: { identity: { 'docker-reference': 'mem/app' }, image: { 'docker-manifest-digest': payloadDigest }, type: 'cosign container image signature' }, optional: null }),
  );
  const builder = new MessageSignatureBundleBuilder({
    signer: keylessSigner({ identityProvider: new StaticTokenProvider(sigstore.githubToken()), fulcioURL: sigstore.fulcioURL }),
    witnesses: [new RekorWitness({ rekorBaseURL: sigstore.rekorURL })],
  });
  const bundle = await builder.create({ data: Buffer.from(payload) });
  const material = bundle.verificationMaterial;
  const certDer =
    material.content.$case === 'certificate'
      ? material.content.certificate.rawBytes
      : material.content.$case === 'x509CertificateChain'
        ? material.content.x509CertificateChain.certificates[0]!.rawBytes
        : Buffer.alloc(0);
  expect(certDer.length).toBeGreaterThan(0);
  const entry = material.tlogEntries[0]!;
  const content = bundle.content.$case === 'messageSignature' ? bundle.content.messageSignature : undefined;
  const annotations = {
    'dev.cosignproject.cosign/signature': Buffer.from(content!.signature).toString('base64'),
    'dev.sigstore.cosign/certificate': `-----BEGIN CERTIFICATE-----\n${Buffer.from(certDer).toString('base64')}\n-----END CERTIFICATE-----\n`,
    'dev.sigstore.cosign/bundle': JSON.stringify({
      SignedEntryTimestamp: Buffer.from(entry.inclusionPromise!.signedEntryTimestamp).toString('base64'),
      Payload: {
        body: Buffer.from(entry.canonicalizedBody).toString('base64'),
        integratedTime: Number(entry.integratedTime),
        logIndex: Number(entry.logIndex),
        logID: Buffer.from(entry.logId!.keyId).toString('hex'),
      },
    }),
  };
  const layer = await put(store, 'application/vnd.dev.cosign.simplesigning.v1+json', payload, annotations);
  await put(store, MediaType.empty, EMPTY_JSON);
  const manifest = enc.encode(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.imageManifest, config: { mediaType: MediaType.empty, digest: EMPTY_JSON_DIGEST, size: 2 }, layers: [layer] }),
  );
  const desc = await put(store, MediaType.imageManifest, manifest);
  await store.tag(desc, `${subjectDigest.replace(':', '-')}.sig`);
}

async function image(store: MemoryStore, tag: string, text: string): Promise<string> {
  await put(store, MediaType.empty, EMPTY_JSON);
  const layer = await put(store, 'text/plain', enc.encode(text));
  const manifest = enc.encode(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.imageManifest, config: { mediaType: MediaType.empty, digest: EMPTY_JSON_DIGEST, size: 2 }, layers: [layer] }),
  );
  const desc = await put(store, MediaType.imageManifest, manifest);
  await store.tag(desc, tag);
  return desc.digest;
}

const policy = { identities: [{ subject: GITHUB_IDENTITY, issuer: GITHUB_ISSUER }], requireTlog: true };

it('verifies a keyless legacy .sig signature with its Rekor bundle', async () => {
  const store = new MemoryStore('mem');
  const digest = await image(store, 'v1', 'one');
  await legacySign(store, digest);
  const verdict = await verifyArtifact(store, 'v1', { trustedRoot: root, policy });
  expect(verdict.signatures).toHaveLength(1);
  expect(verdict.signatures[0]).toMatchObject({ mode: 'keyless', identity: GITHUB_IDENTITY, source: `${digest.replace(':', '-')}.sig#0` });
  expect(verdict.signatures[0]!.logIndex).toMatch(/^\d+$/);
});

it('a legacy payload naming another image does not count', async () => {
  const store = new MemoryStore('mem');
  const digest = await image(store, 'v2', 'two');
  await legacySign(store, digest, 'sha256:' + '0'.repeat(64));
  await expect(verifyArtifact(store, 'v2', { trustedRoot: root, policy })).rejects.toMatchObject({ code: 'subject_mismatch' });
});
