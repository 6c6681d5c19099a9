/** Verification results of src/sign in the report's terms. */
import type { SignaturesVerdict } from '../sign/decision.js';
import type { ReportSignature } from './types.js';

/** Verifying a reference also covers the pack's own attestations, named `embedded:<path>`. */
function placeOf(source: string, location: 'pack' | 'registry'): { source: string; location: 'pack' | 'registry' } {
  return source.startsWith('embedded:') ? { source: source.slice('embedded:'.length), location: 'pack' } : { source, location };
}

export function signaturesFromVerdict(verdict: Pick<SignaturesVerdict, 'signatures' | 'failures'>, location: 'pack' | 'registry' = 'pack'): ReportSignature[] {
  const out: ReportSignature[] = [];
  for (const sig of verdict.signatures) {
    const where = placeOf(sig.source, location);
    const r: ReportSignature = { source: where.source, location: where.location, verified: true, mode: sig.mode, identity: sig.identity, ruleMet: sig.ruleMet, predicateType: sig.predicateType };
    if (sig.issuer) r.issuer = sig.issuer;
    if (sig.integratedTime) r.integratedTime = sig.integratedTime;
    if (sig.logIndex !== undefined) r.logIndex = sig.logIndex;
    if (sig.timestamp) r.timestamp = sig.timestamp;
    out.push(r);
  }
  for (const f of verdict.failures) out.push({ ...placeOf(f.source, location), verified: false, error: `${f.code}: ${f.message}` });
  return out;
}

/**
 * Verified results where there are some, and what the other attestations
 * of the pack claim (unverified) for the rest.
 */
export function mergeSignatures(verified: readonly ReportSignature[], claimed: readonly ReportSignature[]): ReportSignature[] {
  const seen = new Set(verified.filter((s) => (s.location ?? 'pack') === 'pack').map((s) => s.source));
  return [...verified, ...claimed.filter((c) => !seen.has(c.source))];
}
