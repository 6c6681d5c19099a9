/**
 * The entry points for policy tools: everything by a reference string
 * (`registry/repo:tag`, `repo@sha256:…`, `oci:<dir>:<tag>`). The reference is
 * resolved once; everything after that goes by the digest it resolved to.
 */
import type { Descriptor } from '../oci/descriptor.js';
import { Annotation } from '../oci/media-types.js';
import { openTarget, resolveReference, TargetPool } from '../store/open.js';
import type { OpenTargetOptions } from '../store/open.js';
import { verifyArtifact } from './referrers.js';
import type { ArtifactVerification, VerifyArtifactOptions } from './referrers.js';

export interface ReferenceOptions {
  /** How to reach the store (plain HTTP, credentials file, referrers mode, …). */
  store?: Omit<OpenTargetOptions, 'pool' | 'readOnly'>;
}

export interface ReferrerEntry {
  digest: string;
  mediaType: string;
  size: number;
  artifactType?: string;
  /** `dev.sigstore.bundle.predicateType` of a Sigstore bundle referrer. */
  predicateType?: string;
  /** `org.opencontainers.image.created`. */
  created?: string;
  annotations: Record<string, string>;
}

export interface ReferrerListing {
  /** `<store>@<digest>`: the manifest the reference resolved to. */
  reference: string;
  subject: Descriptor;
  referrers: ReferrerEntry[];
}

/** The referrers of the manifest `reference` names, optionally of one artifact type (e.g. the Sigstore bundle type). */
export async function listReferrers(reference: string, options: ReferenceOptions & { artifactType?: string } = {}): Promise<ReferrerListing> {
  const pool = new TargetPool();
  try {
    const opened = await openTarget(reference, { ...options.store, readOnly: true, pool });
    const subject = await resolveReference(opened);
    const referrers: ReferrerEntry[] = [];
    for await (const desc of opened.target.referrers(subject, options.artifactType)) {
      const annotations = desc.annotations ?? {};
      const predicateType = annotations[Annotation.sigstoreBundlePredicateType];
      const created = annotations[Annotation.created];
      referrers.push({
        digest: desc.digest,
        mediaType: desc.mediaType,
        size: desc.size,
        ...(desc.artifactType !== undefined ? { artifactType: desc.artifactType } : {}),
        ...(predicateType !== undefined ? { predicateType } : {}),
        ...(created !== undefined ? { created } : {}),
        annotations,
      });
    }
    return { reference: `${opened.base}@${subject.digest}`, subject, referrers };
  } finally {
    await pool.close();
  }
}

/**
 * Verifies the artifact `reference` names against a policy, as `epack verify
 * <ref>` does: signature referrers, legacy cosign tags and, for Evidence
 * Packs, the embedded attestations. Throws a `VerificationError` when the
 * policy is not met; otherwise returns every verified signature with the rule
 * it met, and the signatures that failed.
 */
export async function verifyReference(reference: string, options: VerifyArtifactOptions & ReferenceOptions): Promise<ArtifactVerification> {
  const pool = new TargetPool();
  try {
    const opened = await openTarget(reference, { ...options.store, readOnly: true, pool });
    const subject = await resolveReference(opened);
    const result = await verifyArtifact(opened.target, subject.digest, options);
    return { ...result, reference: `${opened.base}@${subject.digest}` };
  } finally {
    await pool.close();
  }
}
