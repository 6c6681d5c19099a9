/**
 * Verifies one Sigstore bundle: the bundle's cryptography with @sigstore/verify
 * (certificate chain to the trusted root, SCTs, tlog inclusion, timestamps,
 * DSSE signature), then — by our code — the in-toto statement's subject and
 * predicate type, and the identity policy.
 */
import { verify as cryptoVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import type { Bundle } from '@sigstore/bundle';
import { RFC3161Timestamp, dsse } from '@sigstore/core';
import { Verifier, toSignedEntity, toTrustMaterial, VerificationError as SigstoreVerificationError, PolicyError } from '@sigstore/verify';
import type { SignedEntity, Signer as VerifiedSigner, TrustMaterial, VerifierOptions } from '@sigstore/verify';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { SignatureError, SignUsageError } from '../errors.js';
import { parseStrictJson } from '../../pack/json.js';
import { IN_TOTO_PAYLOAD_TYPE, checkStatement, parseStatement } from '../statement.js';
import type { InTotoStatement } from '../statement.js';
import { keyFingerprint } from '../signer/key.js';
import { emptyTrustedRoot } from './trusted-root.js';
import { certificateClaims } from './claims.js';
import { evaluatePolicy, hasPolicy, publicKeyFrom } from './policy.js';
import type { SignatureIdentity, VerifyPolicy } from './policy.js';

export interface VerifyBundleOptions {
  /** `sha256:<hex>` or hex: the statement must have a subject with this digest. */
  expectedSubjectDigest?: string;
  expectedPredicateType?: string;
  /** Apply the Evidence Pack attestation rules (one subject manifest.json, predicate {}). */
  pack?: boolean;
  /** Identity policy; when given, a signature meeting no rule fails with identity_mismatch. */
  policy?: VerifyPolicy;
  /** Trust for keyless signatures (and for tlog entries of key signatures). */
  trustedRoot?: TrustedRoot;
  /** Trusted public key (PEM or KeyObject); defaults to policy.key. */
  key?: string | Uint8Array | KeyObject;
}

export interface VerifiedSignature extends SignatureIdentity {
  predicateType: string;
  /** `sha256:<hex>` of the subject the statement names first. */
  subjectDigest: string;
  /** Transparency log integration time (ISO 8601), when the bundle has a log entry. */
  integratedTime?: string;
  logIndex?: string;
  /** RFC 3161 timestamp (ISO 8601), when the bundle has one. */
  timestamp?: string;
  /** Keyless: the Fulcio certificate claims (repository, ref, workflow, runner…); empty for key signatures. Always set by the verifiers. */
  claims?: Record<string, string>;
  /** The policy rule this signature meets, or null (no policy given or none met). */
  ruleMet: string | null;
  statement: InTotoStatement;
}

export function parseBundle(bytes: Uint8Array): Bundle {
  let json: unknown;
  try {
    // Strict: duplicate keys, invalid UTF-8 and the like are refused, so no
    // other parser can read a different bundle out of the same bytes.
    json = parseStrictJson(bytes);
  } catch (err) {
    throw new SignatureError('bundle_invalid', `the Sigstore bundle is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  try {
    return bundleFromJSON(json);
  } catch (err) {
    throw new SignatureError('bundle_invalid', `not a valid Sigstore bundle: ${(err as Error).message}`, { cause: err });
  }
}

export function verifyBundle(bytes: Uint8Array, options: VerifyBundleOptions): VerifiedSignature {
  const bundle = parseBundle(bytes);
  if (bundle.content.$case !== 'dsseEnvelope') {
    throw new SignatureError('bundle_invalid', 'the bundle holds a message signature, not a DSSE envelope with an in-toto statement', {
      hint: 'sign with epack or cosign v3 (DSSE); sign-blob message signatures say nothing about what was signed',
    });
  }
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new SignatureError('statement_invalid', `the DSSE payload type is ${envelope.payloadType}, not ${IN_TOTO_PAYLOAD_TYPE}`);
  }
  if (envelope.signatures.length !== 1) {
    throw new SignatureError('bundle_invalid', `the DSSE envelope must hold exactly one signature, found ${envelope.signatures.length}`);
  }

  const keyInput = options.key ?? options.policy?.key;
  const key = keyInput !== undefined ? publicKeyFrom(keyInput) : undefined;
  const requireTlog = options.policy?.requireTlog ?? false;
  const signer = verifyCryptography(bundle, key, options.trustedRoot, requireTlog);

  const statement = parseStatement(envelope.payload, options.pack ?? false);
  checkStatement(statement, {
    ...(options.expectedSubjectDigest !== undefined ? { subjectDigest: options.expectedSubjectDigest } : {}),
    ...(options.expectedPredicateType !== undefined ? { predicateType: options.expectedPredicateType } : {}),
    ...(options.pack ? { pack: true } : {}),
  });

  const identity: SignatureIdentity = {
    ...identityOf(signer, bundle.verificationMaterial.content.$case === 'publicKey' ? key : undefined),
    claims: certificateClaims(bundle),
  };
  const times = timesOf(bundle);
  let ruleMet: string | null = null;
  if (options.policy && hasPolicy(options.policy)) {
    ruleMet = evaluatePolicy([identity], { ...options.policy, threshold: 1 }).ruleMetBySignature[0] ?? null;
    if (ruleMet === null) {
      throw new SignatureError('identity_mismatch', `the signer ${describe(identity)} matches no identity in the policy`, {
        details: { identity: identity.identity, issuer: identity.issuer },
      });
    }
  }
  const first = statement.subject[0]!;
  return {
    ...identity,
    claims: identity.claims ?? {},
    predicateType: statement.predicateType,
    subjectDigest: `sha256:${first.digest['sha256'] ?? ''}`,
    ...times,
    ruleMet,
    statement,
  };
}

/**
 * Checks a bundle's cryptography. A bundle with a public-key hint is checked
 * against the trusted key; one with a certificate against the trusted root.
 * `artifact` is the signed bytes of a message-signature bundle (legacy cosign).
 */
export function verifyCryptography(
  bundle: Bundle,
  key: KeyObject | undefined,
  trustedRoot: TrustedRoot | undefined,
  requireTlog: boolean,
  artifact?: Buffer,
): VerifiedSigner {
  const material = bundle.verificationMaterial.content;
  let entity: SignedEntity = toSignedEntity(bundle, artifact);
  let trust: TrustMaterial;
  let thresholds: VerifierOptions;
  if (material.$case === 'publicKey') {
    if (!key) {
      throw new SignatureError('key_mismatch', 'the bundle is signed with a key, and no trusted key was given', {
        hint: 'verify it with --key <public key PEM>',
      });
    }
    if (requireTlog && !trustedRoot) {
      throw new SignUsageError('trusted_root_required', 'checking the transparency log entry of a key signature needs a trusted root', {
        hint: 'pass --trusted-root, or drop --require-tlog',
      });
    }
    // Without a trusted root the log entries of a key signature cannot be checked; the key alone is the trust.
    if (!trustedRoot) entity = { ...entity, tlogEntries: [], timestamps: [] };
    entity = withCurveHash(entity, bundle, key);
    trust = toTrustMaterial(trustedRoot ?? emptyTrustedRoot(), () => ({ publicKey: key, validFor: () => true }));
    thresholds = { tlogThreshold: requireTlog ? 1 : 0, ctlogThreshold: 0, timestampThreshold: 0 };
  } else {
    if (!trustedRoot) {
      throw new SignUsageError('trusted_root_required', 'keyless verification needs a trusted root', {
        hint: 'pass --trusted-root trusted_root.json, or go online to fetch the public-good root',
      });
    }
    trust = toTrustMaterial(trustedRoot);
    thresholds = { tlogThreshold: requireTlog ? 1 : 0, ctlogThreshold: 1, timestampThreshold: 1 };
  }
  try {
    return new Verifier(trust, thresholds).verify(entity);
  } catch (err) {
    throw mapSigstoreError(err);
  }
}

/**
 * sigstore-js verifies every ECDSA signature with SHA-256; P-384 and P-521
 * keys sign with SHA-384/512 (Sigstore's PKIX_ECDSA_P384_SHA_384, cosign,
 * sigstore-go). For those keys the DSSE signature is checked here.
 */
function withCurveHash(entity: SignedEntity, bundle: Bundle, key: KeyObject): SignedEntity {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const hash = curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : undefined;
  if (!hash || bundle.content.$case !== 'dsseEnvelope') return entity;
  const envelope = bundle.content.dsseEnvelope;
  const pae = dsse.preAuthEncoding(envelope.payloadType, envelope.payload);
  const signature = entity.signature;
  return {
    ...entity,
    signature: {
      signature: signature.signature,
      compareSignature: (s) => signature.compareSignature(s),
      compareDigest: (d) => signature.compareDigest(d),
      compareSignedDigest: (d) => signature.compareSignedDigest(d),
      verifySignature: (k) => {
        try {
          return cryptoVerify(hash, pae, k, signature.signature);
        } catch {
          return false;
        }
      },
    },
  };
}

/** Whether verifying this bundle needs the trusted root (it carries a certificate). */
export function isKeylessBundle(bundle: Bundle): boolean {
  return bundle.verificationMaterial.content.$case !== 'publicKey';
}

export function mapSigstoreError(err: unknown): SignatureError {
  const message = messageChain(err);
  if (err instanceof SigstoreVerificationError || err instanceof PolicyError) {
    switch (err.code) {
      case 'SIGNATURE_ERROR':
        return new SignatureError('signature_invalid', `the signature does not verify: ${message}`, { cause: err });
      case 'PUBLIC_KEY_ERROR':
        return new SignatureError('key_mismatch', `the signing key is not trusted: ${message}`, { cause: err });
      case 'CERTIFICATE_ERROR':
        if (/expired|not valid/.test(message)) {
          return new SignatureError('certificate_expired', `the certificate was not valid when the signature was timestamped: ${message}`, { cause: err });
        }
        return new SignatureError('untrusted_root', `the certificate does not chain to the trusted root: ${message}`, { cause: err });
      case 'TIMESTAMP_ERROR':
        return new SignatureError('timestamp_invalid', `no trusted timestamp: ${message}`, { cause: err });
      case 'TLOG_ERROR':
        if (/expected \d+ tlog entries/.test(message)) return new SignatureError('tlog_required', `no transparency log entry: ${message}`, { cause: err });
        return new SignatureError('tlog_invalid', `transparency log entry invalid: ${message}`, { cause: err });
      case 'TLOG_INCLUSION_PROOF_ERROR':
      case 'TLOG_INCLUSION_PROMISE_ERROR':
      case 'TLOG_MISSING_INCLUSION_ERROR':
      case 'TLOG_BODY_ERROR':
        return new SignatureError('tlog_invalid', `transparency log entry invalid: ${message}`, { cause: err });
      default:
        return new SignatureError('signature_invalid', message, { cause: err });
    }
  }
  return new SignatureError('signature_invalid', `verification failed: ${message}`, { cause: err });
}

/** The message of an error and of its causes: sigstore-js wraps the telling one. */
function messageChain(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(e instanceof Error ? e.message : String(e));
  }
  return parts.join(': ');
}

export function identityOf(signer: VerifiedSigner, key: KeyObject | undefined): SignatureIdentity {
  if (key) return { mode: 'key', identity: `sha256:${keyFingerprint(key)}` };
  const san = signer.identity?.subjectAlternativeName;
  if (!san) throw new SignatureError('identity_mismatch', 'the certificate carries no subject alternative name');
  return { mode: 'keyless', identity: san, issuer: signer.identity?.extensions?.issuer };
}

export function timesOf(bundle: Bundle): Pick<VerifiedSignature, 'integratedTime' | 'logIndex' | 'timestamp'> {
  const out: Pick<VerifiedSignature, 'integratedTime' | 'logIndex' | 'timestamp'> = {};
  const entry = bundle.verificationMaterial.tlogEntries[0];
  if (entry) {
    const seconds = Number(entry.integratedTime);
    if (seconds > 0) out.integratedTime = new Date(seconds * 1000).toISOString();
    out.logIndex = String(entry.logIndex);
  }
  const tsa = bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps[0];
  if (tsa) {
    try {
      out.timestamp = RFC3161Timestamp.parse(Buffer.from(tsa.signedTimestamp)).signingTime.toISOString();
    } catch {
      // already verified by @sigstore/verify when present; an unparsable one was rejected there
    }
  }
  return out;
}

function describe(id: SignatureIdentity): string {
  return id.mode === 'key' ? `key ${id.identity}` : `${id.identity} (issuer ${id.issuer ?? 'unknown'})`;
}
