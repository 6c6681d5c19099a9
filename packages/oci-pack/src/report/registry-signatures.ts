/**
 * Signatures stored in the registry as OCI referrers (cosign v3 / GitHub
 * attestation shape: one Sigstore bundle layer): what each bundle claims
 * about its signer. Read, not verified; `epack report` with policy flags
 * verifies them with src/sign instead.
 */
import type { Descriptor } from '../oci/descriptor.js';
import { Annotation, MediaType } from '../oci/media-types.js';
import { openTarget, TargetPool, type OpenTargetOptions } from '../store/open.js';
import { readAll } from '../store/read-all.js';
import type { GraphTarget } from '../store/types.js';
import { bundlePredicateType, claimedSignature } from './claimed-signature.js';
import type { ReportSignature } from './types.js';

const MAX_REFERRERS = 100;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_BUNDLE_BYTES = 1024 * 1024;

async function claimOf(target: GraphTarget, desc: Descriptor): Promise<ReportSignature> {
  const manifest = JSON.parse(Buffer.from(await readAll(await target.fetch(desc), MAX_MANIFEST_BYTES)).toString('utf8')) as { layers?: Descriptor[] };
  const layer = manifest.layers?.find((l) => typeof l.mediaType === 'string' && l.mediaType.startsWith('application/vnd.dev.sigstore.bundle'));
  if (!layer) throw new Error('no Sigstore bundle layer');
  const bundle: unknown = JSON.parse(Buffer.from(await readAll(await target.fetch(layer), MAX_BUNDLE_BYTES)).toString('utf8'));
  const predicateType = desc.annotations?.[Annotation.sigstoreBundlePredicateType] ?? bundlePredicateType(bundle);
  return claimedSignature(bundle, { source: desc.digest, location: 'registry' }, predicateType);
}

/** The bundle referrers of `subject` in `target` (at most 100), as claims. */
export async function readRegistrySignatureClaims(target: GraphTarget, subject: Descriptor): Promise<ReportSignature[]> {
  const out: ReportSignature[] = [];
  for await (const desc of target.referrers(subject, MediaType.sigstoreBundleV03)) {
    if (out.length >= MAX_REFERRERS) break;
    try {
      out.push(await claimOf(target, desc));
    } catch (err) {
      out.push({ source: desc.digest, location: 'registry', error: `unreadable: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return out;
}

/** Opens `reference` (pinned to `subject`) and reads its signature referrers. */
export async function readReferenceSignatureClaims(reference: string, subject: Descriptor, options: OpenTargetOptions = {}): Promise<ReportSignature[]> {
  const pool = new TargetPool();
  try {
    const opened = await openTarget(reference, { ...options, readOnly: true, pool });
    return await readRegistrySignatureClaims(opened.target, subject);
  } finally {
    await pool.close();
  }
}
