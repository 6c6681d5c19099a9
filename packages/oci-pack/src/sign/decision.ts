/**
 * The verdict over a set of signatures: fail closed without a policy, with
 * no signatures, or when the policy's threshold is not met.
 */
import { EpackError } from '../error.js';
import { SignatureError } from './errors.js';
import { evaluatePolicy, hasPolicy } from './verify/policy.js';
import type { PolicyResult, VerifyPolicy } from './verify/policy.js';
import type { VerifiedSignature } from './verify/bundle.js';

/** A verified signature and where it came from (a pack path, a referrer digest, a legacy tag). */
export type SourcedSignature = Omit<VerifiedSignature, 'statement'> & { source: string };

export interface SignatureFailure {
  source: string;
  code: string;
  message: string;
}

export interface SignaturesVerdict {
  signatures: SourcedSignature[];
  failures: SignatureFailure[];
  policy: PolicyResult;
}

export function failureOf(source: string, err: unknown): SignatureFailure {
  if (err instanceof EpackError) return { source, code: err.code, message: err.message };
  return { source, code: 'signature_invalid', message: err instanceof Error ? err.message : String(err) };
}

/** Applies the policy; throws the error that explains a failure, with the whole verdict in details. */
export function decide(
  what: string,
  signatures: SourcedSignature[],
  failures: SignatureFailure[],
  policy: VerifyPolicy | undefined,
  options: { everySignatureMustVerify: boolean },
): SignaturesVerdict {
  if (signatures.length === 0 && failures.length === 0) {
    throw new SignatureError('no_signatures', `${what} has no signatures`);
  }
  if (!hasPolicy(policy)) {
    throw new SignatureError('policy_required', `${what} is signed, and no policy says who must have signed it`, {
      hint: 'pass --key, or --issuer/--subject (or their -regexp forms); a valid signature by anyone proves nothing',
    });
  }
  const result = evaluatePolicy(signatures, policy);
  signatures.forEach((sig, i) => {
    sig.ruleMet = result.ruleMetBySignature[i] ?? null;
  });
  const verdict: SignaturesVerdict = { signatures, failures, policy: result };
  const details = { verdict: verdict as unknown };
  if (options.everySignatureMustVerify && failures.length > 0) {
    const first = failures[0]!;
    throw new SignatureError(first.code as never, `${first.source}: ${first.message}`, { details });
  }
  if (!result.satisfied) {
    if (signatures.length === 0) {
      const first = failures[0]!;
      throw new SignatureError(first.code as never, `no signature of ${what} verifies; ${first.source}: ${first.message}`, { details });
    }
    if (result.threshold > 1) {
      throw new SignatureError('threshold_not_met', `${result.met.length} of the required ${result.threshold} identities signed ${what}`, {
        details,
        hint: result.unmet.length > 0 ? `missing: ${result.unmet.join('; ')}` : undefined,
      });
    }
    const who = signatures.map((s) => (s.mode === 'key' ? `key ${s.identity}` : `${s.identity} (${s.issuer ?? '?'})`)).join(', ');
    throw new SignatureError('identity_mismatch', `no signer of ${what} matches the policy; signed by ${who}`, { details });
  }
  return verdict;
}

export function stripStatement(sig: VerifiedSignature, source: string): SourcedSignature {
  const { statement: _statement, ...rest } = sig;
  return { ...rest, source };
}
