import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EpackError } from '../../src/error.js';
import {
  compareUtf8,
  computeManifestDigest,
  computePackDigest,
  createSha256,
  isHexSha256,
  isValidDigest,
  jcsDigest,
  packDigestInput,
  sha256Hex,
} from '../../src/pack/digest.js';

const RUNS = Number(process.env['FC_RUNS'] ?? 1000);
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const d = (c: string): string => 'sha256:' + c.repeat(64);

describe('sha256', () => {
  it('hashes bytes and strings', () => {
    expect(sha256Hex(new Uint8Array())).toBe(EMPTY);
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('streams: chunks give the same digest as one buffer, and count bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
        const s = createSha256();
        for (const c of chunks) s.update(c);
        const all = Buffer.concat(chunks);
        expect(s.hex()).toBe(createHash('sha256').update(all).digest('hex'));
        expect(s.digest()).toBe('sha256:' + s.hex());
        expect(s.bytes).toBe(all.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses updates after the digest was read', () => {
    const s = createSha256().update('a');
    s.hex();
    expect(() => s.update('b')).toThrow();
  });
});

describe('digest formats', () => {
  it.each([d('0'), d('f'), 'sha256:' + EMPTY])('valid %s', (v) => expect(isValidDigest(v)).toBe(true));
  it.each(['sha256:' + EMPTY.toUpperCase(), 'SHA256:' + EMPTY, EMPTY, 'sha512:' + EMPTY, 'sha256:' + EMPTY.slice(1), 'sha256: ' + EMPTY, '', 'sha256:', 7, null])(
    'invalid %s',
    (v) => expect(isValidDigest(v)).toBe(false),
  );
  it('raw hex', () => {
    expect(isHexSha256(EMPTY)).toBe(true);
    expect(isHexSha256('sha256:' + EMPTY)).toBe(false);
  });
});

describe('pack_digest (pack.md §5.1)', () => {
  it('of no artifacts is the sha256 of nothing', () => {
    expect(computePackDigest([])).toBe('sha256:' + EMPTY);
    expect(packDigestInput([])).toBe('');
  });

  it('matches the spec example for one artifact', () => {
    expect(computePackDigest([{ path: 'artifacts/test.json', digest: d('1') }])).toBe(
      'sha256:3af35ccc5210c4cb2cdc29a4f45ee29dc64d1ad5cb3d1c3ae1290d4fb4224e94',
    );
  });

  it('sorts by raw UTF-8 bytes, not UTF-16 units or locale', () => {
    // U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8 although UTF-16 orders them the other way.
    const a = { path: 'artifacts/\uff21', digest: d('1') };
    const b = { path: 'artifacts/😀', digest: d('2') };
    expect(packDigestInput([b, a])).toBe(`artifacts/\uff21\t${d('1')}\nartifacts/😀\t${d('2')}\n`);
    expect(['artifacts/😀', 'artifacts/\uff21'].sort()).toEqual(['artifacts/😀', 'artifacts/\uff21']);
    expect(compareUtf8('Aerger', 'Ärger')).toBeLessThan(0);
    expect(compareUtf8('10', '2')).toBeLessThan(0);
  });

  it('does not depend on input order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ unit: 'grapheme', minLength: 1 }), { maxLength: 8 }), fc.nat(), (names, rot) => {
        const arts = names.map((n, i) => ({ path: `artifacts/${n}`, digest: d(String(i % 10)) }));
        const rotated = arts.map((_a, i) => arts[(i + rot) % arts.length]!);
        expect(computePackDigest(rotated)).toBe(computePackDigest(arts));
        expect(computePackDigest(arts)).toBe('sha256:' + sha256Hex(packDigestInput(arts)));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('manifest digest', () => {
  it('is the raw hex sha256 of the JCS form', () => {
    const bytes = new TextEncoder().encode(
      '{"spec_version":"1.0","stream":"test/known-answer","generated_at":"2026-01-20T12:00:00Z","pack_digest":"sha256:' +
        EMPTY +
        '","sources":[],"artifacts":[]}',
    );
    expect(computeManifestDigest(bytes)).toBe('0600492a0be3cbf59bb6022a85cb97327323084619f77aba35e08cf54043e4b1');
  });

  it('ignores whitespace, key order and number spelling', () => {
    const a = computeManifestDigest(new TextEncoder().encode('{"a":[1000],"b":"\\u0054"}'));
    const b = computeManifestDigest(new TextEncoder().encode('{ "b" : "T",\n "a" : [ 1e3 ] }'));
    expect(a).toBe(b);
    expect(a).toBe(jcsDigest({ a: [1000], b: 'T' }));
  });

  it.each([
    ['null', 'invalid_manifest'],
    ['[]', 'invalid_manifest'],
    ['{"a":1,"a":1}', 'duplicate_keys'],
    ['{"a":1', 'json_parse_error'],
  ])('rejects %s', (text, code) => {
    try {
      computeManifestDigest(new TextEncoder().encode(text));
      expect.unreachable();
    } catch (err) {
      expect((err as EpackError).code).toBe(code);
    }
  });
});

describe('compareUtf8', () => {
  it('orders exactly like the UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))));
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'z', '\u00e9', '\ud7ff', '\ue000', '\uffff', '😀', '\u{10000}', '\u{10ffff}') }), fc.string({ unit: fc.constantFrom('a', '\uffff', '😀', '\ue000') }), (a, b) => {
        expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))));
      }),
      { numRuns: RUNS },
    );
  });
});
