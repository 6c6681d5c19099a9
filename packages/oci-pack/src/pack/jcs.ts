/**
 * RFC 8785 JSON Canonicalization Scheme: object keys sorted by UTF-16 code
 * units, numbers in ECMAScript shortest round-trip form, strings with the
 * minimal escaping of JSON.stringify, no whitespace.
 */
import { PackError } from '../error.js';
import type { JsonValue } from './json.js';

export function canonicalize(value: JsonValue): string {
  return write(value);
}

/** The canonical form as UTF-8 bytes. */
export function canonicalizeToBytes(value: JsonValue): Uint8Array {
  return new TextEncoder().encode(canonicalize(value));
}

// String concatenation (V8 ropes) beats collecting parts for large manifests.
function write(value: JsonValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return serializeNumber(value);
    case 'string':
      return serializeString(value);
    default:
      break;
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + write(value[i] as JsonValue);
    return out + ']';
  }
  // Default sort compares UTF-16 code units, which is what RFC 8785 requires.
  const keys = Object.keys(value).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    out += (i > 0 ? ',' : '') + serializeString(key) + ':' + write((value as Record<string, JsonValue>)[key] as JsonValue);
  }
  return out + '}';
}

/** ES Number.prototype.toString, which RFC 8785 adopts; -0 becomes 0. */
export function serializeNumber(n: number): string {
  if (!Number.isFinite(n)) throw new PackError('non_finite_number', `cannot canonicalize the non-finite number ${n}`);
  if (Object.is(n, -0)) return '0';
  return String(n);
}

/** In a `u` regexp only unpaired surrogates are code points of category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

/** JSON.stringify's string escaping is exactly RFC 8785's (ES2019 well-formed). */
export function serializeString(s: string): string {
  if (LONE_SURROGATE.test(s)) throw new PackError('invalid_string', 'cannot canonicalize a string with a lone surrogate');
  return JSON.stringify(s);
}
