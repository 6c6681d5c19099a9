/** Error codes as the conformance runner reports them. */
import { EpackError } from '../error.js';

export interface ConformanceError {
  code: string;
  message?: string;
  location?: string;
}

/**
 * Codes the runner spec or the vectors use for the same failure under
 * another name. A result lists epack's code first, then these.
 */
const RELATED_CODES: Record<string, string[]> = {
  json_parse_error: ['invalid_json'],
  compression_bomb: ['zip_bomb'],
  symlink: ['zip_symlink'],
  device_file: ['zip_special_file'],
  non_regular_file: ['zip_special_file'],
  hardlink: ['zip_special_file'],
  invalid_number: ['invalid_json'],
  invalid_digest_format: ['invalid_digest'],
};

/** epack's code first, then the rule (`details.reason`), related codes and runner-spec names. */
export function errorCodes(err: unknown): ConformanceError[] {
  if (!(err instanceof EpackError)) {
    return [{ code: 'internal_error', message: err instanceof Error ? err.message : String(err) }];
  }
  const location = err.details?.['location'];
  const first: ConformanceError = { code: err.code, message: err.message };
  if (typeof location === 'string') first.location = location;
  const codes = [first];
  const extra = new Set<string>();
  const reason = err.details?.['reason'];
  if (typeof reason === 'string') extra.add(reason);
  const related = err.details?.['related'];
  if (Array.isArray(related)) for (const r of related) if (typeof r === 'string') extra.add(r);
  for (const r of RELATED_CODES[err.code] ?? []) extra.add(r);
  if (err.code.startsWith('missing_')) extra.add('missing_required_field');
  extra.delete(err.code);
  for (const code of extra) codes.push({ code });
  return codes;
}

