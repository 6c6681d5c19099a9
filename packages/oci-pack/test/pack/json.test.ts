import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EpackError } from '../../src/error.js';
import {
  assertJsonIntegerLexeme,
  decodeUtf8Strict,
  isJsonInteger,
  isJsonIntegerLexeme,
  parseStrictJson,
  type JsonValue,
} from '../../src/pack/json.js';

const RUNS = Number(process.env['FC_RUNS'] ?? 1000);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof EpackError) return err.code;
    throw err;
  }
}

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('parseStrictJson: accepts RFC 8259 JSON', () => {
  it.each([
    ['{}', {}],
    ['[]', []],
    [' \t\r\n{"a" : [1, -2.5e-3, true, false, null, "x"]}\n', { a: [1, -0.0025, true, false, null, 'x'] }],
    ['"\\u00e9\\n\\t\\"\\\\\\/"', 'é\n\t"\\/'],
    ['"\\ud83d\\ude00"', '😀'],
    ['1.5e3', 1500],
    ['-0', -0],
    ['"😀 literal"', '😀 literal'],
  ])('%s', (text, value) => {
    expect(parseStrictJson(text)).toEqual(value);
  });

  it('keeps a "__proto__" key as data, without touching the prototype', () => {
    const v = parseStrictJson('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
  });

  it('decodes UTF-8 bytes, including 4-byte sequences', () => {
    expect(parseStrictJson(new TextEncoder().encode('{"k":"日本😀"}'))).toEqual({ k: '日本😀' });
  });
});

describe('parseStrictJson: rejects', () => {
  it.each([
    ['duplicate keys at the top', '{"a":1,"a":2}', 'duplicate_keys'],
    ['duplicate keys deep inside', '{"a":[{"b":{"c":1,"d":2,"c":3}}]}', 'duplicate_keys'],
    ['duplicate keys spelled with escapes', '{"a":1,"\\u0061":2}', 'duplicate_keys'],
    ['trailing garbage', '{"a":1} x', 'json_parse_error'],
    ['two documents', '{} {}', 'json_parse_error'],
    ['NaN', '{"v": NaN}', 'json_parse_error'],
    ['Infinity', '{"v": Infinity}', 'json_parse_error'],
    ['-Infinity', '[-Infinity]', 'json_parse_error'],
    ['an overflowing number', '[1e400]', 'json_parse_error'],
    ['a leading zero', '[01]', 'json_parse_error'],
    ['a bare dot', '[1.]', 'json_parse_error'],
    ['a plus sign', '[+1]', 'json_parse_error'],
    ['a trailing comma', '[1,]', 'json_parse_error'],
    ['single quotes', "{'a':1}", 'json_parse_error'],
    ['an unquoted key', '{a:1}', 'json_parse_error'],
    ['a raw control character in a string', '"a\tb"', 'json_parse_error'],
    ['a lone high surrogate escape', '"\\ud800"', 'json_parse_error'],
    ['a lone low surrogate escape', '"\\udc00x"', 'json_parse_error'],
    ['an invalid escape', '"\\x41"', 'json_parse_error'],
    ['empty input', '', 'json_parse_error'],
    ['whitespace only', ' \n', 'json_parse_error'],
    ['a comment', '{"a":1 /* c */}', 'json_parse_error'],
    ['a BOM in a string input', '\ufeff{}', 'json_parse_error'],
    ['unterminated string', '"abc', 'json_parse_error'],
    ['true with garbage', 'tru', 'json_parse_error'],
  ])('%s', (_what, text, code) => {
    expect(codeOf(() => parseStrictJson(text))).toBe(code);
  });

  it.each([
    ['a UTF-8 BOM', bytes(0xef, 0xbb, 0xbf, 0x7b, 0x7d)],
    ['an invalid continuation byte', bytes(0x22, 0xc3, 0x28, 0x22)],
    ['an overlong encoding', bytes(0x22, 0xc0, 0xaf, 0x22)],
    ['an encoded surrogate (CESU-8)', bytes(0x22, 0xed, 0xa0, 0x80, 0x22)],
    ['a truncated sequence', bytes(0x22, 0xe6, 0x97, 0x22)],
  ])('bytes with %s', (_what, input) => {
    expect(codeOf(() => parseStrictJson(input))).toBe('json_parse_error');
  });

  it('nesting deeper than maxDepth', () => {
    const deep = '['.repeat(40) + ']'.repeat(40);
    expect(codeOf(() => parseStrictJson(deep, { maxDepth: 32 }))).toBe('json_parse_error');
    expect(parseStrictJson(deep, { maxDepth: 40 })).toBeDefined();
    // The default depth stops stack exhaustion, not legitimate documents.
    expect(codeOf(() => parseStrictJson('['.repeat(100_000)))).toBe('json_parse_error');
  });

  it('decodeUtf8Strict names what it decodes', () => {
    expect(() => decodeUtf8Strict(bytes(0xff), 'manifest.json')).toThrow(/manifest.json is not valid UTF-8/);
  });
});

describe('number lexemes and integers', () => {
  it('records each number spelling by container and key', () => {
    const lexemes = new WeakMap<object, Map<string | number, string>>();
    const v = parseStrictJson('{"size": 1.5e3, "list": [1.0, 2E+0]}', { numberLexemes: lexemes }) as Record<string, JsonValue>;
    expect(lexemes.get(v)?.get('size')).toBe('1.5e3');
    expect(lexemes.get(v['list'] as object)?.get(0)).toBe('1.0');
    expect(lexemes.get(v['list'] as object)?.get(1)).toBe('2E+0');
  });

  it.each(['0', '-0', '1000', '1e3', '1E3', '1e+3', '10e2', '1.0e3', '1.5e3', '1.23e2', '1000.000', '9007199254740991', '90071992547409910e-1', '0.0e5'])(
    'integer spelling %s',
    (lexeme) => {
      expect(isJsonIntegerLexeme(lexeme)).toBe(true);
      expect(() => assertJsonIntegerLexeme(lexeme)).not.toThrow();
    },
  );

  it.each(['1.5', '-1', '-100', '9007199254740992', '9007199254740993', '1e100', '1e-3', '1e-1', '9007199254740991.4', '0.1e1x', 'NaN', '1e99999999999999999999'])(
    'not an integer spelling %s',
    (lexeme) => {
      expect(isJsonIntegerLexeme(lexeme)).toBe(false);
      expect(codeOf(() => assertJsonIntegerLexeme(lexeme))).toBe('invalid_number');
    },
  );

  it('exact: 9007199254740991.4 rounds to a safe integer as a double but is not a whole number', () => {
    expect(Number('9007199254740991.4')).toBe(9007199254740991);
    expect(isJsonIntegerLexeme('9007199254740991.4')).toBe(false);
  });

  it('isJsonInteger checks parsed values', () => {
    expect(isJsonInteger(0)).toBe(true);
    expect(isJsonInteger(2 ** 53 - 1)).toBe(true);
    expect(isJsonInteger(2 ** 53)).toBe(false);
    expect(isJsonInteger(-1)).toBe(false);
    expect(isJsonInteger(1.5)).toBe(false);
    expect(isJsonInteger('1')).toBe(false);
  });

  it('property: whole numbers written as mantissa + exponent are integers exactly when in range', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 60n }), fc.integer({ min: 0, max: 6 }), (n, shift) => {
        // n written with `shift` digits moved behind the decimal point and a compensating exponent
        const digits = n.toString().padStart(shift + 1, '0');
        const lexeme = shift === 0 ? digits : `${digits.slice(0, digits.length - shift)}.${digits.slice(digits.length - shift)}e${shift}`;
        expect(isJsonIntegerLexeme(lexeme)).toBe(n <= 2n ** 53n - 1n);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('properties', () => {
  const noNegativeZero = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

  it('agrees with JSON.parse on every JSON.stringify output', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(parseStrictJson(text)).toEqual(JSON.parse(text));
        expect(parseStrictJson(new TextEncoder().encode(text))).toEqual(JSON.parse(text));
      }),
      { numRuns: RUNS },
    );
  });

  it('never accepts what JSON.parse rejects, and agrees when both accept', () => {
    const fragments = fc.constantFrom('{', '}', '[', ']', ',', ':', '"a"', '"b"', '1', '-', '.', 'e', '0', 'true', 'null', ' ', '\\', '"', 'NaN', '\u0000');
    fc.assert(
      fc.property(fc.array(fragments, { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        let expected: unknown;
        let jsonOk = true;
        try {
          expected = JSON.parse(text);
        } catch {
          jsonOk = false;
        }
        let strict: unknown;
        let strictOk = true;
        try {
          strict = parseStrictJson(text);
        } catch (err) {
          expect(err).toBeInstanceOf(EpackError);
          strictOk = false;
        }
        if (strictOk) {
          expect(jsonOk).toBe(true);
          expect(strict).toEqual(expected);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects any object in which some key appears twice, at any depth', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1, maxKeys: 5 }), fc.nat(), fc.nat(3), (obj, pick, depth) => {
        const keys = Object.keys(obj);
        const dup = keys[pick % keys.length] as string;
        let text = JSON.stringify(obj).replace(/^\{/, () => `{${JSON.stringify(dup)}:0,`);
        for (let i = 0; i < depth; i++) text = `{"wrap":[${text}]}`;
        expect(codeOf(() => parseStrictJson(text))).toBe('duplicate_keys');
      }),
      { numRuns: RUNS },
    );
  });

  it('round-trips any string through its JSON escaping (well-formed strings only)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(parseStrictJson(JSON.stringify(s))).toBe(s);
      }),
      { numRuns: RUNS },
    );
  });

  it('parses numbers exactly as Number() does', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        const text = JSON.stringify(d);
        expect(parseStrictJson(text)).toBe(noNegativeZero(d));
      }),
      { numRuns: RUNS },
    );
  });
});
