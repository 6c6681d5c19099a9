/**
 * Signatures and attestations of OCI artifacts as referrers, in the shape
 * cosign v3 writes and reads (cosign specs/BUNDLE_SPEC.md): an image manifest
 * with artifactType = the bundle media type, the empty config, one layer = the
 * Sigstore bundle v0.3, `subject` = the signed manifest, and the annotations
 * dev.sigstore.bundle.content / predicateType and org.opencontainers.image.created.
 */
import type { Descriptor, ImageManifest } from '../oci/descriptor.js';
import { plainDescriptor } from '../oci/descriptor.js';
import { Annotation, EMPTY_JSON, EMPTY_JSON_DIGEST, MediaType } from '../oci/media-types.js';
import type { GraphTarget } from '../store/types.js';
import { isReferrerLister } from '../store/types.js';
import { EpackError } from '../error.js';
import { SignatureError, SignUsageError } from './errors.js';
import { COSIGN_SIGN_PREDICATE_TYPE, EVIDENCE_PACK_PREDICATE_TYPE, STATEMENT_TYPE_V1, buildStatement, parseStatement } from './statement.js';
import type { InTotoStatement } from './statement.js';
import { prepareSigner, signStatementWith } from './sign.js';
import type { SignerOptions } from './sign.js';
import { fetchBytes, parseImageManifest, pushBytes } from './oci-io.js';
import { isKeylessBundle, parseBundle, verifyBundle } from './verify/bundle.js';
import { resolveTrustedRoot } from './verify/trusted-root.js';
import type { TrustRootOptions } from './verify/trusted-root.js';
import type { VerifyPolicy } from './verify/policy.js';
import { decide, failureOf, stripStatement } from './decision.js';
import type { SignaturesVerdict, SignatureFailure, SourcedSignature } from './decision.js';
import { legacyAttestations, legacySignatures } from './legacy.js';
import { readRemotePack, verifyRemotePackAttestations } from './remote-pack.js';
import type { RemotePackSummary } from './remote-pack.js';

const MAX_SIGNATURES = 256;

export interface AttachResult {
  /** The signed manifest (resolved once from the reference). */
  subject: Descriptor;
  /** The referrer manifest that carries the bundle. */
  referrer: Descriptor;
  /** The bundle layer. */
  bundle: Descriptor;
  bundleBytes: Uint8Array;
  predicateType: string;
}

export interface SignArtifactOptions extends SignerOptions {
  /** Subject name in the statement (default: the store's name). */
  subjectName?: string;
  /** Creation time for org.opencontainers.image.created (default now). */
  created?: Date;
}

/** Signs the manifest `ref` resolves to (cosign v3 `sign` shape, predicate sign/v1). */
export async function signArtifact(target: GraphTarget, ref: string, options: SignArtifactOptions): Promise<AttachResult> {
  const subject = await target.resolve(ref);
  const statement = buildStatement(
    { name: options.subjectName ?? target.name, digest: { sha256: hexOf(subject.digest) } },
    COSIGN_SIGN_PREDICATE_TYPE,
    {},
  );
  return attachStatement(target, subject, statement, options);
}

/**
 * Signs an in-toto statement (any predicate type) about the manifest `ref`
 * resolves to and attaches it. A statement without subject gets the resolved
 * manifest as subject; one that names other digests is refused. A bare
 * `{predicateType, predicate}` object is accepted too.
 */
export async function attachAttestation(
  target: GraphTarget,
  ref: string,
  statementJson: string | Uint8Array,
  options: SignArtifactOptions,
): Promise<AttachResult> {
  const subject = await target.resolve(ref);
  const statement = statementFor(statementJson, subject, options.subjectName ?? target.name);
  return attachStatement(target, subject, statement, options);
}

function statementFor(json: string | Uint8Array, subject: Descriptor, name: string): InTotoStatement {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(typeof json === 'string' ? json : Buffer.from(json).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new SignUsageError('statement_invalid', 'the attestation is not JSON', { cause: err });
  }
  if (typeof value !== 'object' || value === null || typeof value['predicateType'] !== 'string') {
    throw new SignUsageError('statement_invalid', 'the attestation needs a predicateType');
  }
  const own = { name, digest: { sha256: hexOf(subject.digest) } };
  if (value['subject'] === undefined) {
    return buildStatement(own, value['predicateType'], value['predicate'] ?? {});
  }
  const statement = parseStatement(new TextEncoder().encode(JSON.stringify({ _type: STATEMENT_TYPE_V1, ...value })), true);
  if (!statement.subject.some((s) => s.digest['sha256'] === own.digest.sha256)) {
    throw new SignUsageError('subject_mismatch', `the attestation's subject does not name ${subject.digest}`, {
      hint: 'leave "subject" out to attest the resolved manifest',
    });
  }
  return statement;
}

async function attachStatement(target: GraphTarget, subject: Descriptor, statement: InTotoStatement, options: SignArtifactOptions): Promise<AttachResult> {
  const prepared = await prepareSigner(options);
  const bundleBytes = await signStatementWith(statement, prepared, options);
  const config = await pushBytes(target, MediaType.empty, EMPTY_JSON);
  if (config.digest !== EMPTY_JSON_DIGEST) throw new EpackError('internal', 'internal_error', 'empty descriptor digest mismatch');
  const bundle = await pushBytes(target, MediaType.sigstoreBundleV03, bundleBytes);
  bundle.annotations = { [Annotation.title]: `${bundle.digest.replace(':', '-')}.sigstore.json` };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.imageManifest,
    artifactType: MediaType.sigstoreBundleV03,
    config: { mediaType: MediaType.empty, digest: EMPTY_JSON_DIGEST, size: 2 },
    layers: [bundle],
    subject: plainDescriptor(subject),
    annotations: {
      [Annotation.created]: (options.created ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      [Annotation.sigstoreBundleContent]: 'dsse-envelope',
      [Annotation.sigstoreBundlePredicateType]: statement.predicateType,
    },
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  const referrer = await pushBytes(target, MediaType.imageManifest, manifestBytes);
  return { subject, referrer, bundle, bundleBytes, predicateType: statement.predicateType };
}

export interface VerifyArtifactOptions extends TrustRootOptions {
  policy?: VerifyPolicy;
  /** The predicate type the signatures must have (default cosign sign/v1). */
  predicateType?: string;
  /**
   * For Evidence Pack artifacts, also verify the embedded attestations (and
   * that the layers are manifest.json's artifacts) — default true; applies to
   * the default predicate type and to the Evidence Pack one.
   */
  embedded?: boolean;
  /** Most signature referrers read (default 256); beyond that a failure is recorded and the rest skipped. */
  maxSignatures?: number;
  /** Also read legacy cosign `sha256-<hex>.sig` (signatures) / `.att` (attestations) tags (default true). */
  legacy?: boolean;
}

export interface ArtifactVerification extends SignaturesVerdict {
  reference: string;
  subject: Descriptor;
  /** When the artifact is an Evidence Pack: what its manifest.json says (layers checked against it). */
  pack?: RemotePackSummary;
}

interface Candidate {
  source: string;
  bundleBytes: Uint8Array;
}

/** Resolves `ref` once, collects every signature referrer (and legacy .sig tag) and applies the policy. */
export async function verifyArtifact(target: GraphTarget, ref: string, options: VerifyArtifactOptions): Promise<ArtifactVerification> {
  const subject = await target.resolve(ref);
  const predicateType = options.predicateType ?? COSIGN_SIGN_PREDICATE_TYPE;
  const failures: SignatureFailure[] = [];
  const candidates: Candidate[] = [];
  const maxCandidates = options.maxSignatures ?? MAX_SIGNATURES;
  if (isReferrerLister(target)) {
    for await (const desc of target.referrers(subject, MediaType.sigstoreBundleV03)) {
      const annotated = desc.annotations?.[Annotation.sigstoreBundlePredicateType];
      if (annotated !== undefined && annotated !== predicateType) continue;
      // Anyone who can push can attach referrers: bound the work one verification does.
      if (candidates.length >= maxCandidates) {
        failures.push({ source: desc.digest, code: 'too_many_signatures', message: `more than ${maxCandidates} signature referrers; the rest were not read` });
        break;
      }
      try {
        candidates.push({ source: desc.digest, bundleBytes: await bundleOfReferrer(target, desc) });
      } catch (err) {
        failures.push(failureOf(desc.digest, err));
      }
    }
  }
  const requireTlog = options.policy?.requireTlog ?? false;
  const parsed = candidates.map((c) => {
    try {
      return parseBundle(c.bundleBytes);
    } catch {
      return undefined;
    }
  });
  const legacy =
    options.legacy === false
      ? []
      : predicateType === COSIGN_SIGN_PREDICATE_TYPE
        ? await legacySignatures(target, subject)
        : await legacyAttestations(target, subject, predicateType);
  const embedded =
    options.embedded !== false && (predicateType === COSIGN_SIGN_PREDICATE_TYPE || predicateType === EVIDENCE_PACK_PREDICATE_TYPE)
      ? await readRemotePack(target, subject)
      : undefined;
  const needsRoot =
    requireTlog ||
    parsed.some((b) => b !== undefined && isKeylessBundle(b)) ||
    legacy.some((l) => l.keyless) ||
    (embedded?.needsTrustedRoot ?? false);
  const trustedRoot = await resolveTrustedRoot(options, !needsRoot);
  const signatures: SourcedSignature[] = [];
  for (const candidate of candidates) {
    try {
      const sig = verifyBundle(candidate.bundleBytes, {
        expectedSubjectDigest: subject.digest,
        ...(trustedRoot ? { trustedRoot } : {}),
        ...(options.policy?.key !== undefined ? { key: options.policy.key } : {}),
        policy: { requireTlog },
      });
      if (sig.predicateType !== predicateType) continue;
      signatures.push(stripStatement(sig, candidate.source));
    } catch (err) {
      failures.push(failureOf(candidate.source, err));
    }
  }
  for (const item of legacy) {
    try {
      signatures.push(item.verify({ ...(trustedRoot ? { trustedRoot } : {}), ...(options.policy?.key !== undefined ? { key: options.policy.key } : {}), requireTlog }));
    } catch (err) {
      failures.push(failureOf(item.source, err));
    }
  }
  if (embedded) {
    const key = options.policy?.key;
    const own = verifyRemotePackAttestations(embedded, { ...(trustedRoot ? { trustedRoot } : {}), ...(key !== undefined ? { key } : {}), requireTlog });
    signatures.push(...own.signatures);
    // Like a pack file: every embedded attestation must verify.
    const broken = own.failures[0];
    if (broken) {
      throw new SignatureError(broken.code as never, `${broken.source}: ${broken.message}`, {
        details: { verdict: { signatures, failures: [...failures, ...own.failures] } },
      });
    }
  }
  const verdict = decide(`${target.name}@${subject.digest}`, signatures, failures, options.policy, { everySignatureMustVerify: false });
  return { reference: ref, subject, ...verdict, ...(embedded ? { pack: embedded.summary } : {}) };
}

async function bundleOfReferrer(target: GraphTarget, desc: Descriptor): Promise<Uint8Array> {
  const manifest = parseImageManifest(await fetchBytes(target, desc), desc.digest);
  const layer = manifest.layers.find((l) => l.mediaType === MediaType.sigstoreBundleV03 || l.mediaType.startsWith('application/vnd.dev.sigstore.bundle'));
  if (!layer) throw new SignatureError('bundle_invalid', `referrer ${desc.digest} has no Sigstore bundle layer`);
  return fetchBytes(target, layer);
}

function hexOf(digest: string): string {
  if (!digest.startsWith('sha256:')) throw new SignUsageError('digest_unsupported', `only sha256 manifests can be signed, not ${digest}`);
  return digest.slice('sha256:'.length);
}
