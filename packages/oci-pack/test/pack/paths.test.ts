import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EpackError } from '../../src/error.js';
import {
  checkCaseCollisions,
  isReservedName,
  MAX_PATH_BYTES,
  MAX_SEGMENT_BYTES,
  pathError,
  validateArtifactPath,
  windowsCanonicalPath,
} from '../../src/pack/paths.js';

const RUNS = Number(process.env['FC_RUNS'] ?? 1000);

function failure(path: string): { code: string; reason: unknown } | undefined {
  try {
    validateArtifactPath(path);
    return undefined;
  } catch (err) {
    if (!(err instanceof EpackError)) throw err;
    return { code: err.code, reason: err.details?.['reason'] };
  }
}

describe('validateArtifactPath accepts', () => {
  it.each([
    'artifacts/test.json',
    'artifacts/aws/iam-policies.json',
    'artifacts/Quarterly Report 2026.pdf',
    'artifacts/安全/报告.json',
    'artifacts/café.json',
    'artifacts/\ufb01le.json',
    'artifacts/ＡＢＣ.json',
    'artifacts/.dotfile',
    'artifacts/-x',
    'artifacts/icon.png',
    'artifacts/config.json',
    'artifacts/constant.json',
    'artifacts/com10',
    'artifacts/lpt0',
    'artifacts/test%2F..%2Fetc',
    'a',
    'manifest.json',
    'artifacts/' + 'a'.repeat(MAX_SEGMENT_BYTES),
    'artifacts/😀.json',
  ])('%s', (path) => {
    expect(failure(path)).toBeUndefined();
    expect(pathError(path)).toBeUndefined();
  });
});

describe('validateArtifactPath rejects', () => {
  it.each([
    ['', 'invalid_path', 'empty_path'],
    ['/artifacts/a', 'invalid_path', 'leading_slash'],
    ['artifacts/a/', 'invalid_path', 'trailing_slash'],
    ['artifacts//a', 'invalid_path', 'empty_segment'],
    ['artifacts/./a', 'invalid_path', 'dot_segment'],
    ['artifacts/../a', 'invalid_path', 'dot_dot_segment'],
    ['..', 'invalid_path', 'dot_dot_segment'],
    ['artifacts\\a', 'invalid_path', 'backslash'],
    ['artifacts/a\u0000b', 'invalid_path', 'control_char'],
    ['artifacts/a\u001fb', 'invalid_path', 'control_char'],
    ['artifacts/a\u007fb', 'invalid_path', 'control_char'],
    ['artifacts/a\u0085b', 'invalid_path', 'control_char'],
    ['C:artifacts/a', 'invalid_path', 'drive_letter'],
    ['c:/a', 'invalid_path', 'drive_letter'],
    ['C:\\a', 'invalid_path', 'drive_letter'],
    ['//server/share/a', 'invalid_path', 'unc_path'],
    ['\\\\server\\share', 'invalid_path', 'unc_path'],
    ['\\\\?\\C:\\a', 'invalid_path', 'unc_path'],
    ['artifacts/a:b', 'invalid_path', 'colon'],
    ['artifacts/2026-01-20T12:00:00Z.json', 'invalid_path', 'colon'],
    ['artifacts/report.', 'invalid_path', 'trailing_dot_or_space'],
    ['artifacts/report ', 'invalid_path', 'trailing_dot_or_space'],
    ['artifacts/dir./a', 'invalid_path', 'trailing_dot_or_space'],
    ['artifacts/' + 'a'.repeat(MAX_SEGMENT_BYTES + 1), 'invalid_path', 'segment_too_long'],
    ['artifacts/' + 'é'.repeat(41), 'invalid_path', 'segment_too_long'],
    ['artifacts/cafe\u0301.json', 'path_not_nfc', 'not_nfc'],
    ['artifacts/\u2126.json', 'path_not_nfc', 'not_nfc'],
    ['artifacts/\u1100\u1161', 'path_not_nfc', 'not_nfc'],
    ['artifacts/a\ud800', 'invalid_path', 'invalid_utf8'],
    ['artifacts/con', 'reserved_name', 'reserved_name'],
    ['artifacts/CON', 'reserved_name', 'reserved_name'],
    ['artifacts/con.txt', 'reserved_name', 'reserved_name'],
    ['artifacts/Aux.tar.gz', 'reserved_name', 'reserved_name'],
    ['artifacts/nul/a.json', 'reserved_name', 'reserved_name'],
    ['artifacts/lpt9', 'reserved_name', 'reserved_name'],
    ['prn', 'reserved_name', 'reserved_name'],
  ])('%j', (path, code, reason) => {
    expect(failure(path)).toEqual({ code, reason });
    expect(pathError(path)).toBe(code);
  });

  it('limits the whole path to 240 UTF-8 bytes', () => {
    const segs = (n: number): string => Array.from({ length: n }, () => 'a'.repeat(59)).join('/');
    const ok = 'artifacts/' + segs(3) + '/' + 'b'.repeat(MAX_PATH_BYTES - 10 - 3 * 60);
    expect(Buffer.byteLength(ok)).toBe(MAX_PATH_BYTES);
    expect(failure(ok)).toBeUndefined();
    expect(failure(ok + 'b')).toEqual({ code: 'invalid_path', reason: 'path_too_long' });
  });

  it('knows the reserved base names, case-insensitively and with any extension', () => {
    for (const base of ['con', 'prn', 'aux', 'nul', ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`com${n}`, `lpt${n}`])]) {
      expect(isReservedName(base)).toBe(true);
      expect(isReservedName(base.toUpperCase() + '.log')).toBe(true);
      expect(isReservedName(base + 'x')).toBe(false);
    }
  });
});

describe('Windows-canonical collisions (pack.md §4.2.2)', () => {
  it('folds case and strips trailing dots and spaces per segment', () => {
    expect(windowsCanonicalPath('Artifacts/Report.JSON')).toBe('artifacts/report.json');
    expect(windowsCanonicalPath('artifacts/data. ')).toBe('artifacts/data');
  });

  it.each([
    [['artifacts/a.json', 'artifacts/a.json']],
    [['artifacts/Report.json', 'artifacts/report.json']],
    [['artifacts/AWS/x', 'artifacts/aws/x']],
    [['artifacts/data.', 'artifacts/data']],
  ])('rejects %j', (paths) => {
    expect(() => checkCaseCollisions(paths)).toThrow(expect.objectContaining({ code: 'duplicate_path' }));
  });

  it('accepts distinct files', () => {
    expect(() => checkCaseCollisions(['artifacts/a.json', 'artifacts/a.txt', 'artifacts/b/a.json'])).not.toThrow();
  });
});

describe('properties', () => {
  const safeChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_+=,;@()[]{}~é日😀'.split(/(?:)/u));
  const safeSegment = fc
    .array(safeChar, { minLength: 1, maxLength: 12 })
    .map((chars) => chars.join(''))
    .filter((s) => !isReservedName(s));
  const safePath = fc.array(safeSegment, { minLength: 1, maxLength: 6 }).map((segs) => 'artifacts/' + segs.join('/'));

  it('paths built from safe segments are valid', () => {
    fc.assert(
      fc.property(safePath, (p) => {
        expect(failure(p)).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  });

  it('one unsafe element anywhere makes a path invalid', () => {
    const poison = fc.constantFrom('..', '.', '', 'con', 'COM1.txt', 'a\\b', 'a:b', 'x.', 'x ', 'a\u0000', 'e\u0301', 'a\u007f');
    fc.assert(
      fc.property(fc.array(safeSegment, { minLength: 1, maxLength: 5 }), poison, fc.nat(), (segs, bad, at) => {
        const i = at % (segs.length + 1);
        const parts = [...segs.slice(0, i), bad, ...segs.slice(i)];
        expect(failure('artifacts/' + parts.join('/'))).toBeDefined();
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws anything but a PackError, for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        const f = failure(s);
        if (f) expect(['invalid_path', 'path_not_nfc', 'reserved_name']).toContain(f.code);
      }),
      { numRuns: RUNS },
    );
  });

  it('a valid path is NFC, has no backslash or colon, and fits the byte limits', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (s) => {
        const p = 'artifacts/' + s;
        if (failure(p) !== undefined) return;
        expect(p.normalize('NFC')).toBe(p);
        expect(p).not.toMatch(/[\\:\u0000-\u001f]/);
        expect(Buffer.byteLength(p)).toBeLessThanOrEqual(MAX_PATH_BYTES);
        for (const seg of p.split('/')) {
          expect(seg === '' || seg === '.' || seg === '..').toBe(false);
          expect(Buffer.byteLength(seg)).toBeLessThanOrEqual(MAX_SEGMENT_BYTES);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
