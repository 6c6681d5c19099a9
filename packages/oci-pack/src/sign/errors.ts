/**
 * Typed errors of the signing area. Codes are stable; `kind` maps to the CLI
 * exit code (verification failures exit 1, usage errors 2, auth 4, network 5).
 */
import { AuthError, EpackError, NetworkError, UsageError, VerificationError } from '../error.js';
import type { EpackErrorOptions } from '../error.js';

export type SignatureErrorCode =
  | 'signature_invalid'
  | 'bundle_invalid'
  | 'untrusted_root'
  | 'certificate_expired'
  | 'tlog_invalid'
  | 'tlog_required'
  | 'timestamp_invalid'
  | 'statement_invalid'
  | 'subject_mismatch'
  | 'predicate_type_mismatch'
  | 'identity_mismatch'
  | 'threshold_not_met'
  | 'no_signatures'
  | 'policy_required'
  | 'key_mismatch';

/** A signature, bundle, statement or policy check did not pass. */
export class SignatureError extends VerificationError {
  constructor(code: SignatureErrorCode, message: string, options?: EpackErrorOptions) {
    super(code, message, options);
  }
}

/** Bad signing/verification options: unreadable key, missing identity, bad regexp. */
export class SignUsageError extends UsageError {
}

/** The identity provider gave no token or refused. */
export class IdentityError extends AuthError {
}

/** Fulcio, Rekor, a TSA or TUF could not be reached or failed. */
export class SigstoreServiceError extends NetworkError {
}

export function isSignatureError(err: unknown): err is SignatureError {
  return err instanceof SignatureError;
}

/** Wraps an unknown failure from a sigstore library call made while signing. */
export function signingFailure(err: unknown, what: string): EpackError {
  if (err instanceof EpackError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const status = (err as { cause?: { statusCode?: unknown } } | null)?.cause?.statusCode;
  if (typeof code === 'string' && /IDENTITY|TOKEN/i.test(code)) {
    return new IdentityError('identity_token_rejected', `${what}: ${message}`, { cause: err });
  }
  // Fulcio answers 400/401/403 to an expired, malformed or unknown-issuer token.
  if (code === 'CA_CREATE_SIGNING_CERTIFICATE_ERROR' && (status === 400 || status === 401 || status === 403)) {
    return new IdentityError('identity_token_rejected', `${what}: Fulcio refused the identity token: ${message}`, {
      cause: err,
      hint: 'get a fresh token; it must be issued for audience "sigstore" by an issuer the Fulcio instance trusts',
    });
  }
  return new SigstoreServiceError('sigstore_service_failed', `${what}: ${message}`, { cause: err });
}
