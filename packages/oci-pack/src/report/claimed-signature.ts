/**
 * What a Sigstore bundle claims about its signer, as a report row. Shared by
 * the pack's embedded attestations and the registry's signature referrers;
 * nothing here is verified.
 */
import { claimedSigner } from './summarize/sigstore.js';
import type { ReportSignature } from './types.js';

/** The in-toto `predicateType` of a DSSE bundle's statement, if readable. */
export function bundlePredicateType(bundle: unknown): string | undefined {
  const payload = (bundle as { dsseEnvelope?: { payload?: unknown } } | null)?.dsseEnvelope?.payload;
  if (typeof payload !== 'string') return undefined;
  try {
    const statement = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { predicateType?: unknown };
    return typeof statement.predicateType === 'string' ? statement.predicateType : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `base` (where the bundle was found) with the bundle's claimed signer;
 * `predicateType` defaults to the statement's.
 */
export function claimedSignature(bundle: unknown, base: ReportSignature, predicateType = bundlePredicateType(bundle)): ReportSignature {
  const signer = claimedSigner(bundle);
  const sig: ReportSignature = { ...base };
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
  if (predicateType) sig.predicateType = predicateType;
  return sig;
}
