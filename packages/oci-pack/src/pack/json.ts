/**
 * Strict JSON (RFC 8259 plus the Evidence Pack rules): valid UTF-8 without a
 * BOM, no duplicate object keys at any depth, no lone surrogates, nothing after
 * the value, finite numbers only. `JSON.parse` accepts duplicate keys (last one
 * wins) and would let two readers disagree about the same bytes, hence this
 * small parser.
 */
import { PackError } from '../error.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface StrictJsonOptions {
  /** Deepest nesting of arrays/objects accepted (default 128). */
  maxDepth?: number;
  /**
   * When given, the source spelling of every number is recorded here, keyed by
   * the containing object/array, then by key/index. Lets callers check
   * integers exactly from the text (`1.5e3` is 1500; `9007199254740993` is not
   * representable) instead of from a rounded double.
   */
  numberLexemes?: WeakMap<object, Map<string | number, string>>;
}

/** Largest integer the spec allows (2^53 - 1). */
export const MAX_JSON_INTEGER = Number.MAX_SAFE_INTEGER;

const DEFAULT_MAX_DEPTH = 128;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function fail(code: string, message: string): never {
  throw new PackError(code, message);
}

/** Decodes bytes as strict UTF-8 (no BOM, no invalid sequences). */
export function decodeUtf8Strict(bytes: Uint8Array, what = 'input'): string {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    fail('json_parse_error', `${what} starts with a UTF-8 byte order mark`);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    throw new PackError('json_parse_error', `${what} is not valid UTF-8`, { details: { reason: 'invalid_utf8' } });
  }
}

/**
 * Parses JSON strictly. Errors are PackErrors with code `duplicate_keys` or
 * `json_parse_error` (also for invalid UTF-8 and a BOM).
 */
export function parseStrictJson(input: Uint8Array | string, opts: StrictJsonOptions = {}): JsonValue {
  const text = typeof input === 'string' ? input : decodeUtf8Strict(input);
  if (text.charCodeAt(0) === 0xfeff) fail('json_parse_error', 'JSON starts with a byte order mark');
  const parser = new Parser(text, opts.maxDepth ?? DEFAULT_MAX_DEPTH, opts.numberLexemes);
  return parser.parseDocument();
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
    private readonly lexemes: WeakMap<object, Map<string | number, string>> | undefined,
  ) {}

  parseDocument(): JsonValue {
    this.skipWhitespace();
    const value = this.parseValue(undefined, undefined);
    this.skipWhitespace();
    if (this.pos !== this.text.length) this.error('unexpected data after the JSON value');
    return value;
  }

  private error(what: string): never {
    return fail('json_parse_error', `invalid JSON at offset ${this.pos}: ${what}`);
  }

  private skipWhitespace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else break;
    }
  }

  private parseValue(parent: object | undefined, key: string | number | undefined): JsonValue {
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.parseObject();
      case '[':
        return this.parseArray();
      case '"':
        return this.parseString();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      case undefined:
        return this.error('unexpected end of input');
      default:
        if (c === '-' || (c >= '0' && c <= '9')) return this.parseNumber(parent, key);
        return this.error(`unexpected character ${JSON.stringify(c)}`);
    }
  }

  private literal<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.error('invalid literal');
    this.pos += word.length;
    return value;
  }

  private enter(): void {
    if (++this.depth > this.maxDepth) this.error(`nesting deeper than ${this.maxDepth}`);
  }

  private parseObject(): JsonObject {
    this.enter();
    this.pos++; // {
    const plain: JsonObject = {};
    const seen = new Set<string>();
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      this.depth--;
      return plain;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.error('expected a string key');
      const key = this.parseString();
      if (seen.has(key)) fail('duplicate_keys', `duplicate key ${JSON.stringify(key)} in a JSON object`);
      seen.add(key);
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.error('expected ":"');
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue(plain, key);
      defineOwn(plain, key, value);
      this.skipWhitespace();
      const sep = this.text[this.pos];
      if (sep === ',') {
        this.pos++;
        continue;
      }
      if (sep === '}') {
        this.pos++;
        break;
      }
      this.error('expected "," or "}"');
    }
    this.depth--;
    return plain;
  }

  private parseArray(): JsonValue[] {
    this.enter();
    this.pos++; // [
    const arr: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      this.depth--;
      return arr;
    }
    for (;;) {
      this.skipWhitespace();
      arr.push(this.parseValue(arr, arr.length));
      this.skipWhitespace();
      const sep = this.text[this.pos];
      if (sep === ',') {
        this.pos++;
        continue;
      }
      if (sep === ']') {
        this.pos++;
        break;
      }
      this.error('expected "," or "]"');
    }
    this.depth--;
    return arr;
  }

  private parseString(): string {
    const t = this.text;
    this.pos++; // opening quote
    let out = '';
    let runStart = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.error('unterminated string');
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        out += t.slice(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.error('control character in a string');
      if (c === 0x5c) {
        out += t.slice(runStart, this.pos);
        out += this.parseEscape();
        runStart = this.pos;
        continue;
      }
      if (c >= 0xd800 && c <= 0xdbff) {
        const next = t.charCodeAt(this.pos + 1);
        if (!(next >= 0xdc00 && next <= 0xdfff)) this.error('lone surrogate in a string');
        this.pos += 2;
        continue;
      }
      if (c >= 0xdc00 && c <= 0xdfff) this.error('lone surrogate in a string');
      this.pos++;
    }
  }

  /** Parses one escape starting at the backslash; returns the decoded text. */
  private parseEscape(): string {
    const t = this.text;
    const e = t[this.pos + 1];
    this.pos += 2;
    switch (e) {
      case '"':
        return '"';
      case '\\':
        return '\\';
      case '/':
        return '/';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u': {
        const unit = this.hex4();
        if (unit >= 0xdc00 && unit <= 0xdfff) this.error('lone low surrogate escape');
        if (unit >= 0xd800 && unit <= 0xdbff) {
          if (t[this.pos] !== '\\' || t[this.pos + 1] !== 'u') this.error('lone high surrogate escape');
          this.pos += 2;
          const low = this.hex4();
          if (!(low >= 0xdc00 && low <= 0xdfff)) this.error('lone high surrogate escape');
          return String.fromCharCode(unit, low);
        }
        return String.fromCharCode(unit);
      }
      default:
        return this.error('invalid escape sequence');
    }
  }

  private hex4(): number {
    const digits = this.text.slice(this.pos, this.pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) this.error('invalid \\u escape');
    this.pos += 4;
    return parseInt(digits, 16);
  }

  private parseNumber(parent: object | undefined, key: string | number | undefined): number {
    const match = NUMBER_RE.exec(this.text.slice(this.pos, this.pos + 1100));
    if (!match) this.error('invalid number');
    const lexeme = match[0];
    if (lexeme.length >= 1100) this.error('number too long');
    this.pos += lexeme.length;
    const value = Number(lexeme);
    if (!Number.isFinite(value)) fail('json_parse_error', `number ${lexeme} is out of range`);
    if (this.lexemes && parent !== undefined && key !== undefined) {
      let map = this.lexemes.get(parent);
      if (!map) {
        map = new Map();
        this.lexemes.set(parent, map);
      }
      map.set(key, lexeme);
    }
    return value;
  }
}

const NUMBER_RE = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/;

/** Sets a key even when it is `__proto__`, without touching the prototype. */
function defineOwn(obj: JsonObject, key: string, value: JsonValue): void {
  // defineProperty turns objects into slow dictionaries: only for the one key that needs it.
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/**
 * Whether a JSON number spelling denotes a whole number in 0..2^53-1, exactly
 * (no rounding): `1500`, `1.5e3`, `15e2`, `1.0` yes; `1.5`, `-1`, `1e-1` no.
 */
export function isJsonIntegerLexeme(lexeme: string): boolean {
  const m = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(lexeme);
  if (!m) return false;
  const [, sign, intPart = '', fracPart = '', expPart] = m;
  let digits = intPart + fracPart;
  const exp = BigInt(expPart ?? '0') - BigInt(fracPart.length);
  // value = digits * 10^exp
  digits = digits.replace(/^0+/, '');
  if (digits === '') return true; // zero, including -0
  if (sign === '-') return false;
  let n: bigint;
  if (exp >= 0n) {
    if (exp > 20n) return false;
    n = BigInt(digits) * 10n ** exp;
  } else {
    const drop = Number(-exp);
    if (drop >= digits.length) return false;
    if (!/^0+$/.test(digits.slice(digits.length - drop))) return false;
    n = BigInt(digits.slice(0, digits.length - drop));
  }
  return n <= BigInt(MAX_JSON_INTEGER);
}

/** Throws `invalid_number` unless the spelling is a whole number in 0..2^53-1. */
export function assertJsonIntegerLexeme(lexeme: string, where = 'value'): void {
  if (!isJsonIntegerLexeme(lexeme)) throw new PackError('invalid_number', `${where}: ${lexeme} is not a whole number in 0..2^53-1`);
}

/** Whether a parsed number is a whole number in 0..2^53-1. */
export function isJsonInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_JSON_INTEGER;
}

/** Whether a value is a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
