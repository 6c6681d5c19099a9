/**
 * Embedded attestations of Evidence Packs (spec v1 attestation.md): a
 * Sigstore bundle v0.3 with a DSSE in-toto Statement v1 whose one subject is
 * manifest.json by its JCS digest, predicate type
 * https://evidencepack.org/attestation/v1 and predicate {}, stored as
 * attestations/<sha256(identity)>.sigstore.json. Signing streams the pack
 * into a new file that atomically replaces it; manifest.json is copied byte
 * for byte.
 */
import { createHash } from 'node:crypto';
import { X509Certificate } from '@sigstore/core';
import { openPack, verifyPackIntegrity } from '../pack/read.js';
import type { IntegritySummary, OpenPackOptions } from '../pack/read.js';
import { rewritePackWithAttestation } from '../pack/write.js';
import { VerificationError } from '../error.js';
import { SignUsageError } from './errors.js';
import { EVIDENCE_PACK_PREDICATE_TYPE, packStatement } from './statement.js';
import { prepareSigner, signStatementWith } from './sign.js';
import type { SignerOptions } from './sign.js';
import { keyFingerprint } from './signer/key.js';
import { isKeylessBundle, parseBundle, verifyBundle } from './verify/bundle.js';
import { publicKeyFrom } from './verify/policy.js';
import type { VerifyPolicy } from './verify/policy.js';
import { resolveTrustedRoot } from './verify/trusted-root.js';
import type { TrustRootOptions } from './verify/trusted-root.js';
import { decide, failureOf, stripStatement } from './decision.js';
import type { SignaturesVerdict, SignatureFailure, SourcedSignature } from './decision.js';

export interface SignPackOptions extends SignerOptions, OpenPackOptions {
  /** Attestation file name (default: sha256 of the signer identity). */
  name?: string;
}

export interface SignPackResult {
  path: string;
  /** `attestations/<name>.sigstore.json` */
  attestation: string;
  /** Raw hex JCS digest of manifest.json: the statement's subject. */
  manifestDigest: string;
  mode: 'key' | 'keyless';
  /** Certificate SAN (keyless) or `sha256:<key fingerprint>`. */
  identity: string;
  bundleBytes: Uint8Array;
}

/** Signs a pack in place: integrity first (never sign tampered content), then sign, then rewrite atomically. */
export async function signPack(packPath: string, options: SignPackOptions): Promise<SignPackResult> {
  const integrity = await verifyPackIntegrity(packPath, options.limits ? { limits: options.limits } : {});
  const manifestDigest = integrity.manifestDigest;
  const prepared = await prepareSigner(options);
  const bundleBytes = await signStatementWith(packStatement(manifestDigest), prepared, options);
  const identity = prepared.mode === 'key' ? `sha256:${keyFingerprint(publicKeyFrom(prepared.publicKeyPem ?? ''))}` : certificateIdentity(bundleBytes);
  const name = attestationName(options.name ?? createHash('sha256').update(identity).digest('hex'));
  const written = await rewritePackWithAttestation(packPath, name, bundleBytes, options.limits ? { limits: options.limits } : {});
  if (written.manifestDigest !== manifestDigest) {
    throw new VerificationError('pack_changed', `${packPath} changed while it was being signed; its new attestation does not match it`, {
      hint: 'sign again when nothing else writes the pack',
    });
  }
  return { path: packPath, attestation: name, manifestDigest, mode: prepared.mode, identity, bundleBytes };
}

function attestationName(name: string): string {
  const base = name.replace(/^attestations\//, '').replace(/\.sigstore\.json$/, '');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(base)) {
    throw new SignUsageError('attestation_name_invalid', `"${name}" is not a valid attestation name`, { hint: 'use letters, digits, dot, dash and underscore' });
  }
  return `attestations/${base}.sigstore.json`;
}

function certificateIdentity(bundleBytes: Uint8Array): string {
  const bundle = parseBundle(bundleBytes);
  const material = bundle.verificationMaterial.content;
  const raw =
    material.$case === 'certificate'
      ? material.certificate.rawBytes
      : material.$case === 'x509CertificateChain'
        ? material.x509CertificateChain.certificates[0]?.rawBytes
        : undefined;
  if (!raw) return 'unknown';
  const cert = X509Certificate.parse(Buffer.from(raw));
  const san = cert.extSubjectAltName;
  return san?.uri ?? san?.rfc822Name ?? 'unknown';
}

export interface VerifyPackOptions extends TrustRootOptions, OpenPackOptions {
  policy?: VerifyPolicy;
}

export interface PackVerification extends SignaturesVerdict {
  integrity: IntegritySummary;
}

/**
 * Integrity (every artifact digest and pack_digest), then every attestation
 * (each must verify: bundle, statement, subject = the manifest digest), then
 * the policy. Fails closed: no attestations is `no_signatures`, no policy is
 * `policy_required`.
 */
export async function verifyPack(packPath: string, options: VerifyPackOptions): Promise<PackVerification> {
  const integrity = await verifyPackIntegrity(packPath, options.limits ? { limits: options.limits } : {});
  const pack = await openPack(packPath, options.limits ? { limits: options.limits } : {});
  try {
    if (pack.manifestDigest !== integrity.manifestDigest) {
      throw new VerificationError('pack_changed', `${packPath} changed while it was being verified`);
    }
    const bundles: Array<{ source: string; bytes: Uint8Array }> = [];
    for (const source of pack.attestations) bundles.push({ source, bytes: await pack.readAttestation(source) });
    const requireTlog = options.policy?.requireTlog ?? false;
    const needsRoot =
      requireTlog ||
      bundles.some((b) => {
        try {
          return isKeylessBundle(parseBundle(b.bytes));
        } catch {
          return false;
        }
      });
    const trustedRoot = bundles.length > 0 ? await resolveTrustedRoot(options, !needsRoot) : undefined;
    const signatures: SourcedSignature[] = [];
    const failures: SignatureFailure[] = [];
    for (const b of bundles) {
      try {
        const sig = verifyBundle(b.bytes, {
          pack: true,
          expectedSubjectDigest: pack.manifestDigest,
          expectedPredicateType: EVIDENCE_PACK_PREDICATE_TYPE,
          ...(trustedRoot ? { trustedRoot } : {}),
          ...(options.policy?.key !== undefined ? { key: options.policy.key } : {}),
          policy: { requireTlog },
        });
        signatures.push(stripStatement(sig, b.source));
      } catch (err) {
        failures.push(failureOf(b.source, err));
      }
    }
    const verdict = decide(packPath, signatures, failures, options.policy, { everySignatureMustVerify: true });
    return { integrity, ...verdict };
  } finally {
    await pack.close();
  }
}
