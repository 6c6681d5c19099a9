/**
 * Typed errors with stable codes. Every failure the library reports to a
 * caller is an {@link EpackError}; `code` is stable (the Evidence Pack spec's
 * codes where the spec names one) and `kind` groups codes into the classes
 * the CLI maps to exit codes.
 */

export type ErrorKind =
  /** Malformed input: a pack, manifest, reference, flag or file the user gave. */
  | 'input'
  /** A signature, policy or digest check did not pass. */
  | 'verification'
  /** A file, tag, manifest, blob, repository or remote does not exist. */
  | 'not_found'
  /** Credentials missing, rejected, or not allowed to do this. */
  | 'auth'
  /** The registry or a service could not be reached, or kept failing. */
  | 'network'
  /** The registry answered something the protocol does not allow. */
  | 'registry'
  /** A bug in epack. */
  | 'internal';

export interface EpackErrorOptions {
  cause?: unknown;
  /** What the user can do about it; appended to the message by the CLI. */
  hint?: string;
  /** Extra machine-readable facts (never secrets). */
  details?: Record<string, unknown>;
}

export class EpackError extends Error {
  override readonly name: string = 'EpackError';
  readonly code: string;
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, code: string, message: string, options: EpackErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }
}

/** A pack, manifest, path or attestation that breaks the Evidence Pack spec. */
export class PackError extends EpackError {
  override readonly name = 'PackError';
  constructor(code: string, message: string, options?: EpackErrorOptions) {
    super('input', code, message, options);
  }
}

/** Bad command-line or API usage (flags, arguments, options). */
export class UsageError extends EpackError {
  override readonly name = 'UsageError';
  constructor(code: string, message: string, options?: EpackErrorOptions) {
    super('input', code, message, options);
  }
}

export class NotFoundError extends EpackError {
  override readonly name = 'NotFoundError';
  constructor(code: string, message: string, options?: EpackErrorOptions) {
    super('not_found', code, message, options);
  }
}

export class VerificationError extends EpackError {
  override readonly name = 'VerificationError';
  constructor(code: string, message: string, options?: EpackErrorOptions) {
    super('verification', code, message, options);
  }
}

export class AuthError extends EpackError {
  override readonly name = 'AuthError';
  constructor(code: string, message: string, options?: EpackErrorOptions) {
    super('auth', code, message, options);
  }
}

export class NetworkError extends EpackError {
  override readonly name = 'NetworkError';
  constructor(code: string, message: string, options?: EpackErrorOptions) {
    super('network', code, message, options);
  }
}

/** The registry's answer broke the distribution spec or contradicted itself. */
export class RegistryError extends EpackError {
  override readonly name = 'RegistryError';
  constructor(code: string, message: string, options?: EpackErrorOptions) {
    super('registry', code, message, options);
  }
}

export function isEpackError(value: unknown): value is EpackError {
  return value instanceof EpackError;
}
