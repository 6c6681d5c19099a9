import { describe, expect, it } from 'vitest';
import { EpackError } from '../../src/error.js';
import {
  checkCompressionRatio,
  checkEntryAttributes,
  checkPackStructure,
  classifyEntryName,
  COMPRESSION_RATIO_GRACE_BYTES,
  S_IFDIR,
  S_IFREG,
  unixFileType,
} from '../../src/pack/entries.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof EpackError) return err.code;
    throw err;
  }
}

describe('classifyEntryName', () => {
  it.each([
    ['manifest.json', 'manifest'],
    ['artifacts/', 'directory'],
    ['artifacts/a/b/', 'directory'],
    ['attestations/', 'directory'],
    ['artifacts/a.json', 'artifact'],
    ['artifacts/deep/er/x.bin', 'artifact'],
    ['attestations/1a2b3c4d.sigstore.json', 'attestation'],
  ])('%s is a %s', (name, role) => {
    expect(classifyEntryName(name)).toBe(role);
  });

  it.each([
    ['README.md', 'extra_top_level_entry'],
    ['extra/', 'extra_top_level_entry'],
    ['extra/data.json', 'extra_top_level_entry'],
    ['artifacts', 'extra_top_level_entry'],
    ['data/manifest.json', 'manifest_not_at_root'],
    ['signer.sigstore.json', 'attestation_wrong_location'],
    ['signatures/s.sigstore.json', 'attestation_wrong_location'],
    ['attestations/sub/', 'attestation_not_direct_child'],
    ['attestations/sub/k.sigstore.json', 'attestation_not_direct_child'],
    ['attestations/k.json', 'invalid_attestation_filename'],
    ['attestations/.sigstore.json', 'invalid_attestation_filename'],
    ['attestations/k.sigstore.json.bak', 'invalid_attestation_filename'],
    ['../etc/passwd', 'path_traversal'],
    ['artifacts/a/../../x', 'path_traversal'],
    ['/artifacts/a', 'invalid_path'],
    ['artifacts\\a', 'invalid_path'],
    ['artifacts/con.txt', 'reserved_name'],
    ['artifacts/e\u0301', 'path_not_nfc'],
    ['__MACOSX/artifacts/._a', 'apple_double'],
    ['artifacts/._a', 'apple_double'],
    ['.DS_Store', 'apple_metadata'],
    ['artifacts/x/.DS_Store', 'apple_metadata'],
  ])('rejects %s (%s)', (name, code) => {
    expect(codeOf(() => classifyEntryName(name))).toBe(code);
  });

  it('relates root-level files to artifact_outside_directory and bad attestation names to the extension code', () => {
    try {
      classifyEntryName('data.json');
    } catch (err) {
      expect((err as EpackError).details?.['related']).toEqual(['artifact_outside_directory']);
    }
    try {
      classifyEntryName('attestations/x.attestation.json');
    } catch (err) {
      expect((err as EpackError).details?.['related']).toEqual(['invalid_attestation_extension']);
    }
  });
});

describe('checkEntryAttributes', () => {
  const file = (name: string, extra: Partial<Parameters<typeof checkEntryAttributes>[0]> = {}) => ({ name, compressedSize: 5, uncompressedSize: 9, ...extra });

  it('accepts regular files and empty directories, with or without attributes', () => {
    expect(() => checkEntryAttributes(file('artifacts/a'))).not.toThrow();
    expect(() => checkEntryAttributes(file('artifacts/a', { unixMode: S_IFREG | 0o644 }))).not.toThrow();
    expect(() => checkEntryAttributes(file('artifacts/a', { unixMode: 0o644 }))).not.toThrow();
    expect(() => checkEntryAttributes({ name: 'artifacts/d/', compressedSize: 0, uncompressedSize: 0 })).not.toThrow();
    expect(() => checkEntryAttributes({ name: 'artifacts/d/', compressedSize: 0, uncompressedSize: 0, unixMode: S_IFDIR | 0o755 })).not.toThrow();
  });

  it.each([
    [{ name: 'artifacts/d/', compressedSize: 2, uncompressedSize: 0 }, 'invalid_directory_entry'],
    [{ name: 'artifacts/d/', compressedSize: 0, uncompressedSize: 1 }, 'invalid_directory_entry'],
    [{ name: 'artifacts/d', compressedSize: 0, uncompressedSize: 0, unixMode: S_IFDIR | 0o755 }, 'directory_slash_mismatch'],
    [{ name: 'artifacts/d', compressedSize: 0, uncompressedSize: 0, dosDirectory: true }, 'directory_slash_mismatch'],
    [{ name: 'artifacts/f/', compressedSize: 0, uncompressedSize: 0, unixMode: S_IFREG | 0o644 }, 'directory_slash_mismatch'],
    [{ name: 'artifacts/l', compressedSize: 4, uncompressedSize: 4, unixMode: 0o120777 }, 'symlink'],
    [{ name: 'artifacts/c', compressedSize: 0, uncompressedSize: 0, unixMode: 0o020666 }, 'device_file'],
    [{ name: 'artifacts/b', compressedSize: 0, uncompressedSize: 0, unixMode: 0o060660 }, 'device_file'],
    [{ name: 'artifacts/p', compressedSize: 0, uncompressedSize: 0, unixMode: 0o010666 }, 'non_regular_file'],
    [{ name: 'artifacts/s', compressedSize: 0, uncompressedSize: 0, unixMode: 0o140777 }, 'non_regular_file'],
  ])('rejects %j', (entry, code) => {
    expect(codeOf(() => checkEntryAttributes(entry))).toBe(code);
  });

  it('names Unix file types', () => {
    expect(unixFileType(0o100644)).toBe('file');
    expect(unixFileType(0o040755)).toBe('directory');
    expect(unixFileType(0o120777)).toBe('symlink');
    expect(unixFileType(0o170000)).toBe('unknown');
  });
});

describe('checkCompressionRatio', () => {
  it('rejects entries that expand beyond the ratio, past a small-file floor', () => {
    expect(codeOf(() => checkCompressionRatio('a', 10206, 10485760, 100))).toBe('compression_bomb');
    expect(codeOf(() => checkCompressionRatio('a', 0, COMPRESSION_RATIO_GRACE_BYTES + 1, 100))).toBe('compression_bomb');
    expect(codeOf(() => checkCompressionRatio('a', 20_000, 10485760, 1000))).toBeUndefined();
    expect(codeOf(() => checkCompressionRatio('a', 10, COMPRESSION_RATIO_GRACE_BYTES, 100))).toBeUndefined();
    expect(codeOf(() => checkCompressionRatio('a', 1_000_000, 100_000_000, 100))).toBeUndefined();
  });
});

describe('checkPackStructure', () => {
  it('accepts a minimal pack and returns attestation paths sorted', () => {
    expect(checkPackStructure(['manifest.json', 'artifacts/'])).toEqual([]);
    expect(
      checkPackStructure(['manifest.json', 'artifacts/a.json', 'attestations/b.sigstore.json', 'attestations/a.sigstore.json'], [{ path: 'artifacts/a.json' }]),
    ).toEqual(['attestations/a.sigstore.json', 'attestations/b.sigstore.json']);
  });

  it.each([
    [['artifacts/', 'artifacts/a'], undefined, 'missing_manifest'],
    [['data/manifest.json', 'artifacts/'], undefined, 'manifest_not_at_root'],
    [['manifest.json'], undefined, 'missing_artifacts_directory'],
    [['manifest.json', 'artifacts/', 'artifacts/', 'artifacts/a'], undefined, 'duplicate_path'],
    [['manifest.json', 'artifacts/A.json', 'artifacts/a.json'], undefined, 'duplicate_path'],
    [['manifest.json', 'artifacts/', 'LICENSE'], undefined, 'extra_top_level_entry'],
    [['manifest.json', 'artifacts/'], [{ path: 'artifacts/a.json' }], 'missing_embedded_artifact'],
    [['manifest.json', 'artifacts/data.json'], [{ path: 'artifacts/Data.json' }], 'missing_embedded_artifact'],
    [['manifest.json', 'artifacts/a.json', 'artifacts/b.json'], [{ path: 'artifacts/a.json' }], 'unlisted_artifact'],
  ])('%j with %j -> %s', (entries, artifacts, code) => {
    expect(codeOf(() => checkPackStructure(entries, artifacts))).toBe(code);
  });

  it('lists every missing artifact', () => {
    try {
      checkPackStructure(['manifest.json', 'artifacts/'], [{ path: 'artifacts/a' }, { path: 'artifacts/b' }]);
      expect.unreachable();
    } catch (err) {
      expect((err as EpackError).details?.['paths']).toEqual(['artifacts/a', 'artifacts/b']);
    }
  });
});

describe('robustness', () => {
  it('any list of entry names is accepted or rejected with a PackError, never a crash', async () => {
    const fc = (await import('fast-check')).default;
    const RUNS = Number(process.env['FC_RUNS'] ?? 1000);
    const part = fc.constantFrom('manifest.json', 'artifacts', 'attestations', 'a.json', 'k.sigstore.json', '..', '.', '', '__MACOSX', '._x', 'CON', 'é', 'e\u0301', 'x:y', 'a\\b');
    const name = fc.tuple(fc.array(part, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([parts, dir]) => parts.join('/') + (dir ? '/' : ''));
    fc.assert(
      fc.property(fc.array(name, { maxLength: 6 }), fc.array(fc.constantFrom('artifacts/a.json', 'artifacts/A.json', 'artifacts/x/a.json'), { maxLength: 2 }), (names, listed) => {
        try {
          const attestations = checkPackStructure(names, listed.map((path) => ({ path })));
          // Accepted: then every name passed the per-name rules and the listing matches.
          for (const n of names) expect(() => classifyEntryName(n)).not.toThrow();
          expect(attestations.every((a) => a.startsWith('attestations/') && a.endsWith('.sigstore.json'))).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(EpackError);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
