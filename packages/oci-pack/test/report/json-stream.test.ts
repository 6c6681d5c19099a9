import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonStreamParser, type JsonPath, type JsonScalar } from '../../src/report/summarize/json-stream.js';

/** Rebuilds the document from the parser's events. */
function rebuild(text: string, cuts: number[]): unknown {
  let root: unknown;
  const stack: unknown[] = [];
  const put = (path: JsonPath, value: unknown) => {
    if (path.length === 0) root = value;
    else {
      const parent = stack[stack.length - 1] as object;
      // defineProperty: a "__proto__" key is data, as in JSON.parse.
      Object.defineProperty(parent, path[path.length - 1]!, { value, enumerable: true, writable: true, configurable: true });
    }
  };
  const parser = new JsonStreamParser(
    {
      enter(path, kind) {
        const value = kind === 'array' ? [] : {};
        put(path, value);
        stack.push(value);
      },
      leave() {
        stack.pop();
      },
      value(path, v: JsonScalar) {
        put(path, v);
      },
    },
    { maxStringLength: 1 << 20 },
  );
  let at = 0;
  for (const cut of [...cuts.filter((c) => c < text.length)].sort((a, b) => a - b)) {
    parser.write(text.slice(at, cut));
    at = cut;
  }
  parser.write(text.slice(at));
  parser.end();
  return root;
}

function accepts(text: string): boolean {
  try {
    rebuild(text, [1, 3]);
    return true;
  } catch {
    return false;
  }
}

describe('streaming JSON parser', () => {
  it('yields the same document as JSON.parse, however the text is cut', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), fc.array(fc.nat(400), { maxLength: 8 }), (value, pretty, cuts) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        expect(rebuild(text, cuts)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('accepts and rejects what JSON.parse does', () => {
    const valid = (t: string) => {
      try {
        JSON.parse(t);
        return true;
      } catch {
        return false;
      }
    };
    const corpus = ['{"a":1,}', '[1,]', '{"a" 1}', '01', '1.', '.5', '-', '"\\x"', '"\u0001"', 'tru', 'nulls', '{} {}', '[', '"', '{"a":[1,{"b":null}]}', ' 1e5 ', '-0.5E-3', '"\\ud83d\\ude00"'];
    for (const t of corpus) expect(accepts(t), t).toBe(valid(t));
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'{}[]:,"\\ 01-.eEtrufalsn'.split('')), maxLength: 12 }), (t) => {
        expect(accepts(t), JSON.stringify(t)).toBe(valid(t));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps memory bounded: long strings are truncated, deep nesting refused', () => {
    const seen: JsonScalar[] = [];
    const p = new JsonStreamParser({ value: (_p, v) => seen.push(v) }, { maxStringLength: 10, maxDepth: 3 });
    p.write(`["${'x'.repeat(1000)}"]`);
    p.end();
    expect(seen).toEqual(['x'.repeat(10)]);
    const deep = new JsonStreamParser({}, { maxDepth: 3 });
    expect(() => deep.write('[[[[1]]]]')).toThrow(/too deep/);
  });
});
