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
import { claimedSigner } from './summarize/sigstore.js';
import type { ReportSignature } from './types.js';

const MAX_REFERRERS = 100;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_BUNDLE_BYTES = 1024 * 1024;

function predicateTypeOf(bundle: unknown): string | undefined {
  const payload = (bundle as { dsseEnvelope?: { payload?: unknown } } | null)?.dsseEnvelope?.payload;
  if (typeof payload !== 'string') return undefined;
  try {
    const statement = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { predicateType?: unknown };
    return typeof statement.predicateType === 'string' ? statement.predicateType : undefined;
  } catch {
    return undefined;
  }
}

async function claimOf(target: GraphTarget, desc: Descriptor): Promise<ReportSignature> {
  const manifest = JSON.parse(Buffer.from(await readAll(await target.fetch(desc), MAX_MANIFEST_BYTES)).toString('utf8')) as { layers?: Descriptor[] };
  const layer = manifest.layers?.find((l) => typeof l.mediaType === 'string' && l.mediaType.startsWith('application/vnd.dev.sigstore.bundle'));
  if (!layer) throw new Error('no Sigstore bundle layer');
  const bundle: unknown = JSON.parse(Buffer.from(await readAll(await target.fetch(layer), MAX_BUNDLE_BYTES)).toString('utf8'));
  const signer = claimedSigner(bundle);
  const sig: ReportSignature = { source: desc.digest, location: 'registry' };
  if (signer.identity) {
    sig.mode = 'keyless';
    sig.identity = signer.identity;
  } else if (signer.publicKeyHint !== undefined) {
    sig.mode = 'key';
    if (signer.publicKeyHint) sig.identity = signer.publicKeyHint;
  }
  if (signer.issuer) sig.issuer = signer.issuer;
  if (signer.integratedTime) sig.integratedTime = signer.integratedTime;
  if (signer.logIndex) sig.logIndex = signer.logIndex;
  const predicateType = desc.annotations?.[Annotation.sigstoreBundlePredicateType] ?? predicateTypeOf(bundle);
  if (predicateType) sig.predicateType = predicateType;
  return sig;
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
