import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import {
  COSIGN_SIGN_PREDICATE_TYPE,
  buildStatement,
  parseTrustedRoot,
  signStatement,
  verifyBundle,
} from '../../src/sign/index.js';
import type { TrustedRoot } from '../../src/sign/index.js';
import { EMAIL_IDENTITY, EMAIL_ISSUER, GITHUB_IDENTITY, GITHUB_ISSUER, startMockSigstore } from '../../../../test/harness/sigstore.js';
import type { MockSigstore } from '../../../../test/harness/sigstore.js';

const DIGEST = 'sha256:' + 'ab'.repeat(32);
const statement = buildStatement({ name: 'example', digest: { sha256: 'ab'.repeat(32) } }, COSIGN_SIGN_PREDICATE_TYPE);

function pemPair(type: 'p256' | 'p384' | 'ed25519' | 'rsa'): { priv: string; pub: string } {
  const pair =
    type === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ec', { namedCurve: type === 'p256' ? 'prime256v1' : 'secp384r1' });
  return {
    priv: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    pub: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

describe('key signing', () => {
  for (const type of ['p256', 'p384', 'ed25519', 'rsa'] as const) {
    it(`signs and verifies with ${type}`, async () => {
      const { priv, pub } = pemPair(type);
      const bundle = await signStatement(statement, { keyPem: priv, tlogUpload: false });
      const json = JSON.parse(Buffer.from(bundle).toString());
      expect(json.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
      expect(json.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
      const sig = verifyBundle(bundle, { key: pub, expectedSubjectDigest: DIGEST, expectedPredicateType: COSIGN_SIGN_PREDICATE_TYPE, policy: { key: pub } });
      expect(sig.mode).toBe('key');
      expect(sig.ruleMet).toMatch(/^key sha256:/);
      expect(sig.subjectDigest).toBe(DIGEST);
    });
  }

  it('rejects the wrong key', async () => {
    const a = pemPair('p256');
    const b = pemPair('p256');
    const bundle = await signStatement(statement, { keyPem: a.priv, tlogUpload: false });
    expect(() => verifyBundle(bundle, { key: b.pub })).toThrow(expect.objectContaining({ code: 'signature_invalid' }));
  });

  it('rejects a tampered payload', async () => {
    const { priv, pub } = pemPair('p256');
    const bundle = JSON.parse(Buffer.from(await signStatement(statement, { keyPem: priv, tlogUpload: false })).toString());
    const other = buildStatement({ name: 'example', digest: { sha256: 'cd'.repeat(32) } }, COSIGN_SIGN_PREDICATE_TYPE);
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(other)).toString('base64');
    expect(() => verifyBundle(Buffer.from(JSON.stringify(bundle)), { key: pub })).toThrow(expect.objectContaining({ code: 'signature_invalid' }));
  });

  it('checks subject digest and predicate type', async () => {
    const { priv, pub } = pemPair('p256');
    const bundle = await signStatement(statement, { keyPem: priv, tlogUpload: false });
    expect(() => verifyBundle(bundle, { key: pub, expectedSubjectDigest: 'sha256:' + 'cd'.repeat(32) })).toThrow(
      expect.objectContaining({ code: 'subject_mismatch' }),
    );
    expect(() => verifyBundle(bundle, { key: pub, expectedPredicateType: 'https://slsa.dev/provenance/v1' })).toThrow(
      expect.objectContaining({ code: 'predicate_type_mismatch' }),
    );
  });

  it('requires a tlog entry only when asked', async () => {
    const { priv, pub } = pemPair('p256');
    const bundle = await signStatement(statement, { keyPem: priv, tlogUpload: false });
    expect(() => verifyBundle(bundle, { key: pub, policy: { key: pub, requireTlog: true } })).toThrow(
      expect.objectContaining({ code: 'trusted_root_required' }),
    );
  });
});

describe('keyless signing against a private Sigstore', () => {
  let sigstore: MockSigstore;
  let root: TrustedRoot;
  beforeAll(async () => {
    sigstore = await startMockSigstore();
    root = parseTrustedRoot(JSON.stringify(sigstore.trustedRoot));
  });
  afterAll(async () => sigstore?.close());

  it('token -> Fulcio -> Rekor (intoto) -> bundle -> verify with policy', async () => {
    const bundle = await signStatement(statement, {
      identity: { identityToken: sigstore.githubToken() },
      fulcioURL: sigstore.fulcioURL,
      rekorURL: sigstore.rekorURL,
      tlogEntryType: 'intoto',
    });
    const sig = verifyBundle(bundle, {
      trustedRoot: root,
      expectedSubjectDigest: DIGEST,
      policy: { identities: [{ subject: GITHUB_IDENTITY, issuer: GITHUB_ISSUER }], requireTlog: true },
    });
    expect(sig.identity).toBe(GITHUB_IDENTITY);
    expect(sig.issuer).toBe(GITHUB_ISSUER);
    expect(sig.logIndex).toMatch(/^\d+$/);
    expect(sig.integratedTime).toBeDefined();
    expect(sig.ruleMet).toContain('subject=');
  });

  it('exposes the Fulcio certificate claims and matches them in rules', async () => {
    const bundle = await signStatement(statement, {
      identity: { identityToken: sigstore.githubToken() },
      fulcioURL: sigstore.fulcioURL,
      tlogUpload: false,
      tsaURL: sigstore.tsaURL,
    });
    const base = { subject: GITHUB_IDENTITY, issuer: GITHUB_ISSUER };
    const sig = verifyBundle(bundle, { trustedRoot: root, policy: { identities: [{ ...base, claims: { sourceRepositoryURI: 'https://github.com/acme/evidence' } }] } });
    expect(sig.claims).toMatchObject({
      issuer: GITHUB_ISSUER,
      sourceRepositoryURI: 'https://github.com/acme/evidence',
      sourceRepositoryRef: 'refs/heads/main',
      runnerEnvironment: 'github-hosted',
    });
    expect(() =>
      verifyBundle(bundle, { trustedRoot: root, policy: { identities: [{ ...base, claims: { sourceRepositoryURI: 'https://github.com/evil/fork' } }] } }),
    ).toThrow(expect.objectContaining({ code: 'identity_mismatch' }));
  });

  it('TSA-only keyless bundle verifies; tlog required fails', async () => {
    const bundle = await signStatement(statement, {
      identity: { identityToken: sigstore.emailToken() },
      fulcioURL: sigstore.fulcioURL,
      tlogUpload: false,
      tsaURL: sigstore.tsaURL,
    });
    const sig = verifyBundle(bundle, { trustedRoot: root, policy: { identities: [{ subject: EMAIL_IDENTITY, issuer: EMAIL_ISSUER }] } });
    expect(sig.timestamp).toBeDefined();
    expect(sig.logIndex).toBeUndefined();
    expect(() =>
      verifyBundle(bundle, { trustedRoot: root, policy: { identities: [{ subject: EMAIL_IDENTITY, issuer: EMAIL_ISSUER }], requireTlog: true } }),
    ).toThrow(expect.objectContaining({ code: 'tlog_required' }));
  });

  it('anchors subject regexps', async () => {
    const bundle = await signStatement(statement, {
      identity: { identityToken: sigstore.emailToken('malice@example.com.evil') },
      fulcioURL: sigstore.fulcioURL,
      tlogUpload: false,
      tsaURL: sigstore.tsaURL,
    });
    expect(() =>
      verifyBundle(bundle, { trustedRoot: root, policy: { identities: [{ subjectRegExp: 'alice@example.com', issuer: EMAIL_ISSUER }] } }),
    ).toThrow(expect.objectContaining({ code: 'identity_mismatch' }));
    const ok = verifyBundle(bundle, { trustedRoot: root, policy: { identities: [{ subjectRegExp: '.*alice@example\\.com\\.evil', issuer: EMAIL_ISSUER }] } });
    expect(ok.identity).toBe('malice@example.com.evil');
  });

  it('key signature logged in Rekor: --require-tlog passes with the trusted root, fails against a foreign log', async () => {
    const { priv, pub } = pemPair('p256');
    const bundle = await signStatement(statement, { keyPem: priv, rekorURL: sigstore.rekorURL, tlogEntryType: 'intoto' });
    const sig = verifyBundle(bundle, { trustedRoot: root, policy: { key: pub, requireTlog: true } });
    expect(sig.mode).toBe('key');
    expect(sig.logIndex).toMatch(/^\d+$/);
    const other = await startMockSigstore();
    try {
      const foreign = parseTrustedRoot(JSON.stringify(other.trustedRoot));
      expect(() => verifyBundle(bundle, { trustedRoot: foreign, policy: { key: pub, requireTlog: true } })).toThrow(
        expect.objectContaining({ code: 'tlog_invalid' }),
      );
    } finally {
      await other.close();
    }
  });
});

describe('strict parsing', () => {
  it('refuses a signed statement with duplicate keys', async () => {
    const p = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const priv = p.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const pub = p.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const { createDsseBundle } = await import('../../src/sign/index.js');
    const { KeySigner } = await import('../../src/sign/index.js');
    const twoSubjects = `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"${'ab'.repeat(32)}"}}],"subject":[{"digest":{"sha256":"${'cd'.repeat(32)}"}}],"predicateType":"x","predicate":{}}`;
    const bundle = await createDsseBundle(Buffer.from(twoSubjects), 'application/vnd.in-toto+json', { signer: new KeySigner({ privateKeyPem: priv }), witnesses: [] });
    expect(() => verifyBundle(bundle, { key: pub })).toThrow(expect.objectContaining({ code: 'statement_invalid' }));
    const dupBundle = Buffer.from(Buffer.from(bundle).toString().replace('{"mediaType":', '{"mediaType":"x","mediaType":'));
    expect(() => verifyBundle(dupBundle, { key: pub })).toThrow(expect.objectContaining({ code: 'bundle_invalid' }));
  });
});

describe('key files', () => {
  it('reads an encrypted PKCS#8 key with its passphrase, refuses a wrong one', async () => {
    const p = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const encrypted = p.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'right' }).toString();
    const pub = p.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const bundle = await signStatement(statement, { keyPem: encrypted, keyPassphrase: 'right', tlogUpload: false });
    expect(verifyBundle(bundle, { key: pub }).mode).toBe('key');
    await expect(signStatement(statement, { keyPem: encrypted, keyPassphrase: 'wrong', tlogUpload: false })).rejects.toMatchObject({ code: 'key_invalid', kind: 'input' });
    await expect(signStatement(statement, { key: '/nonexistent/key.pem', tlogUpload: false })).rejects.toMatchObject({ code: 'key_not_readable' });
    const cosignKey = '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnt9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n';
    await expect(signStatement(statement, { keyPem: cosignKey, tlogUpload: false })).rejects.toMatchObject({ code: 'key_unsupported' });
    const dsa = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await expect(signStatement(statement, { keyPem: dsa, tlogUpload: false })).rejects.toMatchObject({ code: 'key_unsupported' });
  });
});
