/**
 * Legacy cosign signatures (cosign < 3, or `--new-bundle-format=false`): a
 * manifest at tag `sha256-<hex>.sig` whose layers are simple-signing payloads
 * (`application/vnd.dev.cosign.simplesigning.v1+json`) with the signature,
 * certificate, Rekor bundle and RFC 3161 timestamp in layer annotations.
 * Each layer is turned into a message-signature bundle and verified like any
 * other; the payload must name the signed manifest digest.
 */
import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import type { Bundle } from '@sigstore/bundle';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import type { Descriptor, ImageManifest } from '../oci/descriptor.js';
import type { GraphTarget } from '../store/types.js';
import { EpackError } from '../error.js';
import { SignatureError } from './errors.js';
import { fetchBytes, parseImageManifest } from './oci-io.js';
import { identityOf, timesOf, verifyBundle, verifyCryptography } from './verify/bundle.js';
import { publicKeyFrom } from './verify/policy.js';
import { certificateClaims } from './verify/claims.js';
import { COSIGN_SIGN_PREDICATE_TYPE } from './statement.js';
import { stripStatement } from './decision.js';
import type { SourcedSignature } from './decision.js';

const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const A_SIGNATURE = 'dev.cosignproject.cosign/signature';
const A_CERTIFICATE = 'dev.sigstore.cosign/certificate';
const A_BUNDLE = 'dev.sigstore.cosign/bundle';
const A_TIMESTAMP = 'dev.sigstore.cosign/rfc3161timestamp';
const DSSE_ENVELOPE = 'application/vnd.dsse.envelope.v1+json';
const A_PREDICATE_TYPE = 'predicateType';
const LEGACY_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

export interface LegacyTrust {
  trustedRoot?: TrustedRoot;
  key?: string | Uint8Array | KeyObject;
  requireTlog: boolean;
}

export interface LegacySignature {
  source: string;
  keyless: boolean;
  verify(trust: LegacyTrust): SourcedSignature;
}

async function legacyManifest(target: GraphTarget, tag: string): Promise<ImageManifest | undefined> {
  let desc: Descriptor;
  try {
    desc = await target.resolve(tag);
  } catch (err) {
    if (err instanceof EpackError && err.kind === 'not_found') return undefined;
    throw err;
  }
  return parseImageManifest(await fetchBytes(target, desc), `${target.name}:${tag}`);
}

/**
 * Legacy cosign attestations at tag `sha256-<hex>.att`: each layer is a DSSE
 * envelope (`application/vnd.dsse.envelope.v1+json`) with the same annotations
 * as a legacy signature. Each becomes a DSSE bundle, verified like any other.
 */
export async function legacyAttestations(target: GraphTarget, subject: Descriptor, predicateType: string): Promise<LegacySignature[]> {
  const tag = `${subject.digest.replace(':', '-')}.att`;
  const manifest = await legacyManifest(target, tag);
  if (!manifest) return [];
  const out: LegacySignature[] = [];
  for (const [i, layer] of manifest.layers.entries()) {
    if (layer.mediaType !== DSSE_ENVELOPE) continue;
    const annotations = layer.annotations ?? {};
    if (annotations[A_PREDICATE_TYPE] !== undefined && annotations[A_PREDICATE_TYPE] !== predicateType) continue;
    const source = `${tag}#${i}`;
    const envelope = JSON.parse(Buffer.from(await fetchBytes(target, layer)).toString('utf8')) as unknown;
    const bundleBytes = new TextEncoder().encode(
      JSON.stringify({ mediaType: LEGACY_BUNDLE_MEDIA_TYPE, verificationMaterial: legacyMaterial(annotations), dsseEnvelope: envelope }),
    );
    out.push({
      source,
      keyless: annotations[A_CERTIFICATE] !== undefined,
      verify: (trust) => {
        const sig = verifyBundle(bundleBytes, {
          expectedSubjectDigest: subject.digest,
          expectedPredicateType: predicateType,
          ...(trust.trustedRoot ? { trustedRoot: trust.trustedRoot } : {}),
          ...(trust.key !== undefined ? { key: trust.key } : {}),
          policy: { requireTlog: trust.requireTlog },
        });
        return stripStatement(sig, source);
      },
    });
  }
  return out;
}

/** The signatures at the legacy `.sig` tag of `subject`, not yet verified. */
export async function legacySignatures(target: GraphTarget, subject: Descriptor): Promise<LegacySignature[]> {
  const tag = `${subject.digest.replace(':', '-')}.sig`;
  const manifest = await legacyManifest(target, tag);
  if (!manifest) return [];
  const out: LegacySignature[] = [];
  for (const [i, layer] of manifest.layers.entries()) {
    if (layer.mediaType !== SIMPLE_SIGNING) continue;
    const source = `${tag}#${i}`;
    const payload = Buffer.from(await fetchBytes(target, layer));
    const annotations = layer.annotations ?? {};
    out.push({
      source,
      keyless: annotations[A_CERTIFICATE] !== undefined,
      verify: (trust) => verifyLegacy(source, subject, payload, annotations, trust),
    });
  }
  return out;
}

function verifyLegacy(source: string, subject: Descriptor, payload: Buffer, annotations: Record<string, string>, trust: LegacyTrust): SourcedSignature {
  const bundle = toBundle(payload, annotations);
  const key = trust.key !== undefined ? publicKeyFrom(trust.key) : undefined;
  const signer = verifyCryptography(bundle, key, trust.trustedRoot, trust.requireTlog, payload);
  checkSimpleSigning(payload, subject);
  const identity = identityOf(signer, bundle.verificationMaterial.content.$case === 'publicKey' ? key : undefined);
  return {
    ...identity,
    ...timesOf(bundle),
    claims: certificateClaims(bundle),
    predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    subjectDigest: subject.digest,
    ruleMet: null,
    source,
  };
}

function toBundle(payload: Buffer, a: Record<string, string>): Bundle {
  const signature = a[A_SIGNATURE];
  if (!signature) throw new SignatureError('bundle_invalid', 'legacy signature layer has no signature annotation');
  try {
    return bundleFromJSON({
      mediaType: LEGACY_BUNDLE_MEDIA_TYPE,
      verificationMaterial: legacyMaterial(a),
      messageSignature: {
        messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') },
        signature,
      },
    });
  } catch (err) {
    const fields = (err as { fields?: string[] }).fields;
    throw new SignatureError('bundle_invalid', `legacy signature cannot be read: ${(err as Error).message}${fields ? ` (${fields.join(', ')})` : ''}`, { cause: err });
  }
}

/** Verification material of a legacy layer: certificate or key hint, Rekor bundle, RFC 3161 timestamp. */
function legacyMaterial(a: Record<string, string>): Record<string, unknown> {
  const material: Record<string, unknown> = { tlogEntries: [] };
  const cert = a[A_CERTIFICATE];
  if (cert) {
    const der = Buffer.from(cert.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''), 'base64');
    material['x509CertificateChain'] = { certificates: [{ rawBytes: der.toString('base64') }] };
  } else {
    material['publicKey'] = { hint: '' };
  }
  const rekor = a[A_BUNDLE];
  if (rekor) {
    const parsed = JSON.parse(rekor) as { SignedEntryTimestamp: string; Payload: { body: string; integratedTime: number; logIndex: number; logID: string } };
    const body = JSON.parse(Buffer.from(parsed.Payload.body, 'base64').toString('utf8')) as { kind?: string; apiVersion?: string };
    material['tlogEntries'] = [
      {
        logIndex: String(parsed.Payload.logIndex),
        logId: { keyId: Buffer.from(parsed.Payload.logID, 'hex').toString('base64') },
        kindVersion: { kind: body.kind ?? 'hashedrekord', version: body.apiVersion ?? '0.0.1' },
        integratedTime: String(parsed.Payload.integratedTime),
        inclusionPromise: { signedEntryTimestamp: parsed.SignedEntryTimestamp },
        canonicalizedBody: parsed.Payload.body,
      },
    ];
  }
  const ts = a[A_TIMESTAMP];
  if (ts) {
    const parsed = JSON.parse(ts) as { SignedRFC3161Timestamp: string };
    material['timestampVerificationData'] = { rfc3161Timestamps: [{ signedTimestamp: parsed.SignedRFC3161Timestamp }] };
  }
  return material;
}

function checkSimpleSigning(payload: Buffer, subject: Descriptor): void {
  let value: { critical?: { image?: { 'docker-manifest-digest'?: unknown }; type?: unknown } };
  try {
    value = JSON.parse(payload.toString('utf8')) as typeof value;
  } catch (err) {
    throw new SignatureError('statement_invalid', 'legacy signature payload is not JSON', { cause: err });
  }
  if (value.critical?.type !== 'cosign container image signature') {
    throw new SignatureError('predicate_type_mismatch', 'legacy payload is not a cosign container image signature');
  }
  const digest = value.critical.image?.['docker-manifest-digest'];
  if (digest !== subject.digest) {
    throw new SignatureError('subject_mismatch', `legacy signature covers ${String(digest)}, not ${subject.digest}`);
  }
}
