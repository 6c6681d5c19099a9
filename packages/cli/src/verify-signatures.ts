/**
 * The signature half of `epack verify`: builds the policy from the flags,
 * calls the library (verifyPack / verifyArtifact) and prints every signature
 * with its identity, issuer, time and the rule it met.
 */
import type { SourcedSignature, VerifyPolicy } from '@epack/oci-pack/sign';
import type { Output } from './output.js';
import { list, type PolicyFlags } from './signing.js';

export async function policyFromFlags(flags: PolicyFlags): Promise<VerifyPolicy> {
  const { pairIdentityFlags } = await import('@epack/oci-pack/sign');
  const policy: VerifyPolicy = {
    identities: pairIdentityFlags({
      subject: list(flags.subject),
      subjectRegExp: list(flags.subjectRegexp),
      issuer: list(flags.issuer),
      issuerRegExp: list(flags.issuerRegexp),
    }),
  };
  if (list(flags.claim).length > 0) {
    const { CLAIM_NAMES } = await import('@epack/oci-pack/sign');
    const { UsageError } = await import('@epack/oci-pack/error');
    const claims: Record<string, string> = {};
    for (const pair of list(flags.claim)) {
      const eq = pair.indexOf('=');
      const name = eq > 0 ? pair.slice(0, eq) : '';
      if (!CLAIM_NAMES.includes(name)) {
        throw new UsageError('policy_invalid', `"${pair}" is not name=value with a known claim`, { hint: `claims: ${CLAIM_NAMES.join(', ')}` });
      }
      claims[name] = pair.slice(eq + 1);
    }
    if (!policy.identities?.length) throw new UsageError('policy_invalid', '--claim narrows --subject/--issuer identities; give one');
    policy.identities = policy.identities.map((rule) => ({ ...rule, claims }));
  }
  if (flags.key !== undefined) {
    const { readFile } = await import('node:fs/promises');
    try {
      policy.key = await readFile(flags.key);
    } catch (err) {
      const { NotFoundError } = await import('@epack/oci-pack/error');
      throw new NotFoundError('file_not_found', `cannot read the public key ${flags.key}: ${(err as Error).message}`);
    }
  }
  if (flags.threshold !== undefined) policy.threshold = flags.threshold;
  if (flags.requireTlog) policy.requireTlog = true;
  return policy;
}

export function hasPolicyFlags(flags: PolicyFlags): boolean {
  return Boolean(flags.key) || [flags.issuer, flags.issuerRegexp, flags.subject, flags.subjectRegexp].some((f) => list(f).length > 0);
}

export function trustFlags(flags: PolicyFlags): { trustedRoot?: string[]; offline?: boolean } {
  const roots = list(flags.trustedRoot);
  return {
    ...(roots.length > 0 ? { trustedRoot: roots } : {}),
    ...(flags.offline ? { offline: true } : {}),
  };
}

/** JSON shape of one signature (stable, documented in docs/cli.md). */
export function signatureJson(sig: SourcedSignature): Record<string, unknown> {
  return {
    source: sig.source,
    mode: sig.mode,
    identity: sig.identity,
    issuer: sig.issuer ?? null,
    predicateType: sig.predicateType,
    subjectDigest: sig.subjectDigest,
    integratedTime: sig.integratedTime ?? null,
    logIndex: sig.logIndex ?? null,
    timestamp: sig.timestamp ?? null,
    claims: sig.claims ?? {},
    ruleMet: sig.ruleMet,
  };
}

export function printSignatures(signatures: readonly SourcedSignature[], out: Output): void {
  for (const sig of signatures) {
    const repo = sig.claims?.['sourceRepositoryURI'];
    const ref = sig.claims?.['sourceRepositoryRef'];
    const from = repo ? ` from ${repo}${ref ? `@${ref}` : ''}` : '';
    const who = sig.mode === 'key' ? `key ${sig.identity}` : `${sig.identity} (issuer ${sig.issuer ?? '?'})${from}`;
    const when = sig.integratedTime
      ? `logged ${sig.integratedTime}${sig.logIndex !== undefined ? ` at index ${sig.logIndex}` : ''}`
      : sig.timestamp
        ? `timestamped ${sig.timestamp}`
        : 'no trusted time';
    const rule = sig.ruleMet ? out.paint('32', `meets ${sig.ruleMet}`) : out.paint('33', 'meets no rule');
    out.line(`  ${who}: ${when}; ${rule}  [${sig.source}]`);
  }
}
