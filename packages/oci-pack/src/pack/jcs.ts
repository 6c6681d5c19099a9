/**
 * RFC 8785 JSON Canonicalization Scheme: object keys sorted by UTF-16 code
 * units, numbers in ECMAScript shortest round-trip form, strings with the
 * minimal escaping of JSON.stringify, no whitespace.
 */
import { PackError } from '../error.js';
import type { JsonValue } from './json.js';

export function canonicalize(value: JsonValue): string {
  const parts: string[] = [];
  write(value, parts);
  return parts.join('');
}

/** The canonical form as UTF-8 bytes. */
export function canonicalizeToBytes(value: JsonValue): Uint8Array {
  return new TextEncoder().encode(canonicalize(value));
}

function write(value: JsonValue, out: string[]): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      out.push(serializeNumber(value));
      return;
    case 'string':
      out.push(serializeString(value));
      return;
    default:
      break;
  }
  if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(',');
      write(item, out);
    });
    out.push(']');
    return;
  }
  // Default sort compares UTF-16 code units, which is what RFC 8785 requires.
  const keys = Object.keys(value).sort();
  out.push('{');
  keys.forEach((key, i) => {
    if (i > 0) out.push(',');
    out.push(serializeString(key), ':');
    write((value as Record<string, JsonValue>)[key] as JsonValue, out);
  });
  out.push('}');
}

/** ES Number.prototype.toString, which RFC 8785 adopts; -0 becomes 0. */
export function serializeNumber(n: number): string {
  if (!Number.isFinite(n)) throw new PackError('non_finite_number', `cannot canonicalize the non-finite number ${n}`);
  if (Object.is(n, -0)) return '0';
  return String(n);
}

/** JSON.stringify's string escaping is exactly RFC 8785's (ES2019 well-formed). */
export function serializeString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      throw new PackError('invalid_string', 'cannot canonicalize a string with a lone surrogate');
    }
    if (c >= 0xdc00 && c <= 0xdfff) throw new PackError('invalid_string', 'cannot canonicalize a string with a lone surrogate');
  }
  return JSON.stringify(s);
}
