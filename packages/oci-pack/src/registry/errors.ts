/**
 * Maps registry answers to typed errors. The distribution spec's error body
 * (`{"errors":[{"code":"MANIFEST_UNKNOWN","message":…}]}`) decides when present;
 * the HTTP status otherwise.
 */
import { AuthError, EpackError, NetworkError, NotFoundError, RegistryError, UsageError } from '../error.js';

export interface RegistryErrorEntry {
  code: string;
  message?: string;
}

/** Reads the spec's error list from a response body; empty when it is not one. */
export function parseErrorBody(body: string): RegistryErrorEntry[] {
  if (body.length === 0 || body.length > 64 * 1024) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  const errors = (parsed as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return [];
  const entries: RegistryErrorEntry[] = [];
  for (const e of errors.slice(0, 16)) {
    const code = (e as { code?: unknown } | null)?.code;
    const message = (e as { message?: unknown } | null)?.message;
    if (typeof code !== 'string') continue;
    entries.push(typeof message === 'string' ? { code: code.slice(0, 64), message: message.slice(0, 500) } : { code: code.slice(0, 64) });
  }
  return entries;
}

/** What the failed request was about, for the message and the 404 code. */
export interface FailureContext {
  /** `GET localhost:5000/acme/x manifest v1` and the like. */
  what: string;
  /** The not-found code when the registry says only 404: `manifest_unknown`, `blob_unknown`… */
  notFoundCode?: string;
  registry?: string;
}

const BY_REGISTRY_CODE: Record<string, (message: string, hint?: string) => EpackError> = {
  BLOB_UNKNOWN: (m) => new NotFoundError('blob_unknown', m),
  BLOB_UPLOAD_UNKNOWN: (m) => new NotFoundError('blob_upload_unknown', m),
  MANIFEST_UNKNOWN: (m) => new NotFoundError('manifest_unknown', m),
  NAME_UNKNOWN: (m) => new NotFoundError('name_unknown', m, { hint: 'check the repository name; some registries create repositories only on first push' }),
  UNAUTHORIZED: (m, h) => new AuthError('unauthorized', m, { hint: h }),
  DENIED: (m) => new AuthError('denied', m, { hint: 'the credentials are valid but not allowed to do this' }),
  TOOMANYREQUESTS: (m) => new NetworkError('too_many_requests', m, { hint: 'the registry is rate limiting; wait and retry, or log in for a higher limit' }),
  UNSUPPORTED: (m) => new RegistryError('unsupported', m),
  DIGEST_INVALID: (m) => new RegistryError('digest_invalid', m),
  SIZE_INVALID: (m) => new RegistryError('size_invalid', m),
  MANIFEST_INVALID: (m) => new RegistryError('manifest_invalid', m),
  MANIFEST_BLOB_UNKNOWN: (m) => new RegistryError('manifest_blob_unknown', m, { hint: 'push the blobs the manifest references first' }),
  MANIFEST_UNVERIFIED: (m) => new RegistryError('manifest_unverified', m),
  BLOB_UPLOAD_INVALID: (m) => new RegistryError('blob_upload_invalid', m),
  NAME_INVALID: (m) => new UsageError('name_invalid', m, { hint: 'the registry rejected the repository name' }),
  TAG_INVALID: (m) => new UsageError('tag_invalid', m),
  PAGINATION_NUMBER_INVALID: (m) => new RegistryError('pagination_number_invalid', m),
  RANGE_INVALID: (m) => new RegistryError('range_invalid', m),
};

/** What to check when a bare 404 (HEAD answers have no error body) names what is missing. */
const NOT_FOUND_HINTS: Record<string, string> = {
  manifest_unknown: 'check the repository name and the tag or digest',
  blob_unknown: 'the repository has no blob with this digest',
};

/** Builds the typed error for a non-success response. */
export function errorForResponse(status: number, body: string, context: FailureContext): EpackError {
  const entries = parseErrorBody(body);
  const first = entries[0];
  const loginHint = context.registry ? `run epack login ${context.registry}` : 'log in to the registry';
  const details = { status, registryErrors: entries };
  if (first) {
    const make = BY_REGISTRY_CODE[first.code.toUpperCase()];
    const message = `${context.what}: ${status} ${first.code}${first.message ? `: ${first.message}` : ''}`;
    if (make) {
      const err = make(message, loginHint);
      return withDetails(err, details);
    }
  }
  const message = `${context.what}: HTTP ${status}`;
  const init = { details };
  if (status === 401) return new AuthError('unauthorized', message, { ...init, hint: loginHint });
  if (status === 403) return new AuthError('denied', message, { ...init, hint: 'the credentials are valid but not allowed to do this' });
  if (status === 404) {
    return new NotFoundError(context.notFoundCode ?? 'not_found', `${context.what}: not found (HTTP 404)`, { ...init, hint: NOT_FOUND_HINTS[context.notFoundCode ?? ''] });
  }
  if (status === 405) return new RegistryError('unsupported', `${message} (the registry does not allow this operation)`, init);
  if (status === 413) return new RegistryError('too_large', `${message} (the registry refused the size)`, init);
  if (status === 408 || status === 429 || status >= 500) {
    return new NetworkError(status === 429 ? 'too_many_requests' : 'registry_unavailable', `${message} (kept failing after retries)`, init);
  }
  return new RegistryError('invalid_response', `${message} (unexpected status)`, init);
}

function withDetails(err: EpackError, details: Record<string, unknown>): EpackError {
  const Ctor = err.constructor as new (code: string, message: string, options: object) => EpackError;
  return new Ctor(err.code, err.message, { hint: err.hint, details });
}

export function invalidResponse(message: string, details?: Record<string, unknown>): RegistryError {
  return new RegistryError('invalid_response', message, details ? { details } : {});
}
