import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { openPack } from '../../src/pack/read.js';
import { writePack } from '../../src/pack/write.js';
import { EVIDENCE_PACK_PREDICATE_TYPE, parseTrustedRoot, signPack, signStatement, buildStatement, verifyPack } from '../../src/sign/index.js';
import type { TrustedRoot } from '../../src/sign/index.js';
import { EMAIL_IDENTITY, EMAIL_ISSUER, GITHUB_IDENTITY, GITHUB_ISSUER, startMockSigstore } from '../../../../test/harness/sigstore.js';
import type { MockSigstore } from '../../../../test/harness/sigstore.js';
import { fixtureManifest, makePack } from './pack-fixture.js';

let sigstore: MockSigstore;
let root: TrustedRoot;
let dir: string;
let n = 0;
const next = (): string => path.join(dir, `pack-${n++}.epack`);
const keyless = (token: string) => ({ identity: { identityToken: token }, fulcioURL: sigstore.fulcioURL, rekorURL: sigstore.rekorURL, tlogEntryType: 'intoto' as const });
const github = { identities: [{ subject: GITHUB_IDENTITY, issuer: GITHUB_ISSUER }] };

function keyPair(): { priv: string; pub: string } {
  const p = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { priv: p.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), pub: p.publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

async function manifestBytesOf(file: string): Promise<Buffer> {
  const pack = await openPack(file);
  try {
    return Buffer.from(pack.manifestBytes);
  } finally {
    await pack.close();
  }
}

beforeAll(async () => {
  sigstore = await startMockSigstore();
  root = parseTrustedRoot(JSON.stringify(sigstore.trustedRoot));
  dir = await mkdtemp(path.join(tmpdir(), 'epack-sign-pack-'));
});
afterAll(async () => {
  await sigstore?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('signPack / verifyPack', () => {
  it('keyless: embeds a spec v1 attestation without touching manifest.json', async () => {
    const file = await makePack(next());
    const before = await manifestBytesOf(file);
    const res = await signPack(file, keyless(sigstore.githubToken()));
    expect(res.attestation).toMatch(/^attestations\/[0-9a-f]{64}\.sigstore\.json$/);
    expect(res.identity).toBe(GITHUB_IDENTITY);
    expect(await manifestBytesOf(file)).toEqual(before);

    const pack = await openPack(file);
    const bundle = JSON.parse(Buffer.from(await pack.readAttestation(res.attestation)).toString());
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString());
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(statement).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'manifest.json', digest: { sha256: pack.manifestDigest } }],
      predicateType: EVIDENCE_PACK_PREDICATE_TYPE,
      predicate: {},
    });
    await pack.close();

    const verdict = await verifyPack(file, { trustedRoot: root, policy: github });
    expect(verdict.signatures).toHaveLength(1);
    expect(verdict.signatures[0]).toMatchObject({ identity: GITHUB_IDENTITY, issuer: GITHUB_ISSUER, source: res.attestation });
    expect(verdict.signatures[0]!.logIndex).toBeDefined();
    expect(verdict.integrity.artifacts).toBe(1);
  });

  it('fails closed: no policy, no signatures, wrong issuer, wrong subject', async () => {
    const file = await makePack(next());
    await expect(verifyPack(file, { trustedRoot: root, policy: github })).rejects.toMatchObject({ code: 'no_signatures' });
    await signPack(file, keyless(sigstore.emailToken()));
    await expect(verifyPack(file, { trustedRoot: root })).rejects.toMatchObject({ code: 'policy_required' });
    await expect(verifyPack(file, { trustedRoot: root, policy: { identities: [{ subject: EMAIL_IDENTITY, issuer: GITHUB_ISSUER }] } })).rejects.toMatchObject({
      code: 'identity_mismatch',
    });
    await expect(verifyPack(file, { trustedRoot: root, policy: { identities: [{ subject: 'bob@example.com', issuer: EMAIL_ISSUER }] } })).rejects.toMatchObject({
      code: 'identity_mismatch',
    });
    await expect(verifyPack(file, { trustedRoot: root, policy: { identities: [{ subjectRegExp: 'alice@example\\.com', issuer: EMAIL_ISSUER }] } })).resolves.toBeDefined();
  });

  it('the unanchored-regexp trap: alice@example.com does not match malice@example.com.evil', async () => {
    const file = await makePack(next());
    await signPack(file, keyless(sigstore.emailToken('malice@example.com.evil')));
    await expect(verifyPack(file, { trustedRoot: root, policy: { identities: [{ subjectRegExp: 'alice@example.com', issuer: EMAIL_ISSUER }] } })).rejects.toMatchObject({
      code: 'identity_mismatch',
    });
  });

  it('a tampered artifact fails integrity before any signature is looked at', async () => {
    const file = await makePack(next(), [{ path: 'artifacts/a.txt', content: 'original' }]);
    const { priv, pub } = keyPair();
    await signPack(file, { keyPem: priv, tlogUpload: false });
    const signed = await openPack(file);
    const att = signed.attestations[0]!;
    const bundle = await signed.readAttestation(att);
    await signed.close();
    // Same manifest, other bytes: writePack refuses, so build a pack whose manifest lists the new bytes...
    const tampered = next();
    await makePack(tampered, [{ path: 'artifacts/a.txt', content: 'tampered' }]);
    // ...and carry over the old attestation: the manifest digest differs, so the subject does not match.
    const { rewritePackWithAttestation } = await import('../../src/pack/write.js');
    await rewritePackWithAttestation(tampered, att, bundle);
    await expect(verifyPack(tampered, { policy: { key: pub } })).rejects.toMatchObject({ code: 'subject_mismatch' });
    await expect(verifyPack(file, { policy: { key: pub } })).resolves.toBeDefined();
  });

  it('an artifact changed under its manifest entry is a digest failure', async () => {
    const file = await makePack(next(), [{ path: 'artifacts/a.png', content: 'AAAA' }]);
    const { priv, pub } = keyPair();
    await signPack(file, { keyPem: priv, tlogUpload: false });
    const raw = await readFile(file);
    const at = raw.indexOf('AAAA');
    expect(at).toBeGreaterThan(0);
    raw.write('BBBB', at);
    const broken = next();
    await (await import('node:fs/promises')).writeFile(broken, raw);
    await expect(verifyPack(broken, { policy: { key: pub } })).rejects.toMatchObject({ kind: 'verification' });
  });

  it('a statement over a swapped subject digest, or with another predicate type, fails', async () => {
    const file = await makePack(next());
    const { priv, pub } = keyPair();
    const swapped = buildStatement({ name: 'manifest.json', digest: { sha256: 'ab'.repeat(32) } }, EVIDENCE_PACK_PREDICATE_TYPE, {});
    const { rewritePackWithAttestation } = await import('../../src/pack/write.js');
    await rewritePackWithAttestation(file, 'attestations/swapped.sigstore.json', await signStatement(swapped, { keyPem: priv, tlogUpload: false }));
    await expect(verifyPack(file, { policy: { key: pub } })).rejects.toMatchObject({ code: 'subject_mismatch' });

    const other = await makePack(next());
    const pack = await openPack(other);
    const wrongType = buildStatement({ name: 'manifest.json', digest: { sha256: pack.manifestDigest } }, 'https://example.com/other', {});
    await pack.close();
    await rewritePackWithAttestation(other, 'attestations/type.sigstore.json', await signStatement(wrongType, { keyPem: priv, tlogUpload: false }));
    await expect(verifyPack(other, { policy: { key: pub } })).rejects.toMatchObject({ code: 'predicate_type_mismatch' });
  });

  it('a pack with a tampered manifest (re-serialized, other stream) no longer matches its attestation', async () => {
    const artifacts = [{ path: 'artifacts/a.txt', content: 'x' }];
    const file = await makePack(next(), artifacts);
    const { priv, pub } = keyPair();
    const res = await signPack(file, { keyPem: priv, tlogUpload: false });
    const forged = next();
    await writePack(forged, {
      manifestBytes: fixtureManifest(artifacts, 'evil/stream'),
      artifacts: artifacts.map((a) => ({ path: a.path, size: a.content.length, open: async () => Readable.from([Buffer.from(a.content)]) })),
      attestations: [{ path: res.attestation, bytes: res.bundleBytes }],
    });
    await expect(verifyPack(forged, { policy: { key: pub } })).rejects.toMatchObject({ code: 'subject_mismatch' });
  });

  it('key mode: right key verifies with no tlog; wrong key fails; --require-tlog needs a log', async () => {
    const file = await makePack(next());
    const a = keyPair();
    const b = keyPair();
    const res = await signPack(file, { keyPem: a.priv, tlogUpload: false });
    expect(res.mode).toBe('key');
    const ok = await verifyPack(file, { offline: true, policy: { key: a.pub } });
    expect(ok.signatures[0]).toMatchObject({ mode: 'key', ruleMet: expect.stringMatching(/^key sha256:/) });
    await expect(verifyPack(file, { offline: true, policy: { key: b.pub } })).rejects.toMatchObject({ code: 'signature_invalid' });
    await expect(verifyPack(file, { offline: true, policy: { key: a.pub, requireTlog: true } })).rejects.toMatchObject({ code: 'trusted_root_required' });
  });

  it('threshold: vendor and auditor must both sign', async () => {
    const file = await makePack(next());
    const policy = {
      identities: [
        { subject: GITHUB_IDENTITY, issuer: GITHUB_ISSUER },
        { subject: 'auditor@example.com', issuer: EMAIL_ISSUER },
      ],
      threshold: 2,
    };
    await signPack(file, keyless(sigstore.githubToken()));
    await expect(verifyPack(file, { trustedRoot: root, policy })).rejects.toMatchObject({ code: 'threshold_not_met' });
    await signPack(file, keyless(sigstore.emailToken('auditor@example.com')));
    const verdict = await verifyPack(file, { trustedRoot: root, policy });
    expect(verdict.signatures).toHaveLength(2);
    expect(verdict.policy.met).toHaveLength(2);
  });

  it('several trusted roots are merged: a vendor on one Sigstore, an auditor on another', async () => {
    const other = await startMockSigstore();
    try {
      const otherRoot = parseTrustedRoot(JSON.stringify(other.trustedRoot));
      const file = await makePack(next());
      await signPack(file, keyless(sigstore.githubToken()));
      await signPack(file, { identity: { identityToken: other.emailToken('auditor@example.com') }, fulcioURL: other.fulcioURL, tlogUpload: false, tsaURL: other.tsaURL });
      const policy = { identities: [...github.identities, { subject: 'auditor@example.com', issuer: EMAIL_ISSUER }], threshold: 2 };
      // With one root the auditor's attestation (other TSA, other CA) does not verify.
      await expect(verifyPack(file, { trustedRoot: root, policy })).rejects.toMatchObject({ kind: 'verification' });
      const verdict = await verifyPack(file, { trustedRoot: [root, otherRoot], policy });
      expect(verdict.policy.met).toHaveLength(2);
    } finally {
      await other.close();
    }
  });

  it('a foreign CA fails even with a matching identity', async () => {
    const other = await startMockSigstore();
    try {
      const file = await makePack(next());
      await signPack(file, { identity: { identityToken: other.githubToken() }, fulcioURL: other.fulcioURL, tlogUpload: false, tsaURL: sigstore.tsaURL });
      await expect(verifyPack(file, { trustedRoot: root, policy: github })).rejects.toMatchObject({ code: 'untrusted_root' });
    } finally {
      await other.close();
    }
  });

  it('refuses to sign a tampered pack', async () => {
    const file = await makePack(next(), [{ path: 'artifacts/a.png', content: 'CCCC' }]);
    const raw = await readFile(file);
    raw.write('DDDD', raw.indexOf('CCCC'));
    const broken = next();
    await (await import('node:fs/promises')).writeFile(broken, raw);
    await copyFile(broken, broken + '.bak');
    await expect(signPack(broken, { keyPem: keyPair().priv, tlogUpload: false })).rejects.toMatchObject({ kind: 'verification' });
    expect(await readFile(broken)).toEqual(await readFile(broken + '.bak'));
  });

  it('GitHub Actions ambient credentials drive the whole keyless flow', async () => {
    const { createServer } = await import('node:http');
    let asked = '';
    const server = createServer((req, res) => {
      asked = `${req.url} ${req.headers.authorization}`;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ value: sigstore.githubToken() }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const file = await makePack(next());
      const res = await signPack(file, {
        identity: { env: { ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/idtoken?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner' } },
        fulcioURL: sigstore.fulcioURL,
        rekorURL: sigstore.rekorURL,
        tlogEntryType: 'intoto',
      });
      expect(asked).toContain('audience=sigstore');
      expect(asked).toContain('Bearer runner');
      expect(res.identity).toBe(GITHUB_IDENTITY);
      await expect(verifyPack(file, { trustedRoot: root, policy: github })).resolves.toBeDefined();
    } finally {
      server.close();
    }
  });
});
