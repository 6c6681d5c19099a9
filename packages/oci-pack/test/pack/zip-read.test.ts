import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { openPack } from '../../src/pack/read.js';
import { SafeZip } from '../../src/pack/zip-read.js';
import { EpackError } from '../../src/error.js';
import { sharedPath } from '../../../../test/harness/tools.js';
import { craftZip, manifestFor, packEntries, type CraftEntry } from './zip-craft.js';

const dir = mkdtempSync(path.join(tmpdir(), 'epack-zipread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function write(bytes: Buffer): string {
  const p = path.join(dir, `t${n++}.epack`);
  writeFileSync(p, bytes);
  return p;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof EpackError) {
      const reason = err.details?.['reason'];
      return typeof reason === 'string' && reason !== err.code ? `${err.code}|${reason}` : err.code;
    }
    throw err;
  }
  return 'ok';
}

async function openCode(entries: CraftEntry[], limits = {}): Promise<string> {
  return codeOf(openPack(write(craftZip(entries)), { limits }).then((p) => p.close()));
}

const good = { 'artifacts/a.json': '{"a":1}' };

describe('SafeZip: valid archives', () => {
  it('opens a minimal valid pack', async () => {
    const pack = await openPack(write(craftZip(packEntries(good))));
    expect(pack.artifacts.map((a) => a.path)).toEqual(['artifacts/a.json']);
    const chunks: Buffer[] = [];
    for await (const c of await pack.openArtifact('artifacts/a.json')) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('{"a":1}');
    await pack.close();
  });

  it('accepts a pack without directory entries when artifacts exist', async () => {
    expect(await openCode([{ name: 'manifest.json', data: manifestFor(good) }, { name: 'artifacts/a.json', data: good['artifacts/a.json'] }])).toBe('ok');
  });

  it('accepts deflated entries and consistent unix attributes', async () => {
    const entries: CraftEntry[] = [
      { name: 'manifest.json', data: manifestFor(good), method: 8, unixMode: 0o100644 },
      { name: 'artifacts/', unixMode: 0o40755 },
      { name: 'artifacts/a.json', data: good['artifacts/a.json'], method: 8, unixMode: 0o100644 },
      { name: 'attestations/k.sigstore.json', data: '{}', unixMode: 0o100644 },
    ];
    const pack = await openPack(write(craftZip(entries)));
    expect(pack.attestations).toEqual(['attestations/k.sigstore.json']);
    await pack.close();
  });
});

describe('SafeZip: the spec fixtures', () => {
  const fixtures = sharedPath('evidence-pack', 'test-vectors', 'zip-safety', 'fixtures');
  it.runIf(fixtures)('rejects the fixture archives with the vectors\' codes', async () => {
    const f = (name: string): string => path.join(fixtures!, name);
    expect((await codeOf(SafeZip.open(f('symlink.zip')))).split('|')).toContain('symlink');
    expect(await codeOf(SafeZip.open(f('duplicate-paths.zip')))).toBe('duplicate_path');
    expect((await codeOf(SafeZip.open(f('high-compression.zip')))).split('|')).toContain('compression_bomb');
  });
});

describe('SafeZip: hostile archives', () => {
  const base = (): CraftEntry[] => packEntries(good);
  const cases: Array<[string, CraftEntry[], string]> = [
    ['symlink', [...base(), { name: 'artifacts/link', data: '/etc/passwd', unixMode: 0o120777 }], 'symlink'],
    ['char device', [...base(), { name: 'artifacts/dev', unixMode: 0o020666 }], 'device_file'],
    ['block device', [...base(), { name: 'artifacts/blk', unixMode: 0o060660 }], 'device_file'],
    ['fifo', [...base(), { name: 'artifacts/fifo', unixMode: 0o010666 }], 'non_regular_file'],
    ['socket', [...base(), { name: 'artifacts/sock', unixMode: 0o140777 }], 'non_regular_file'],
    ['traversal', [...base(), { name: 'artifacts/../../etc/passwd', data: 'x' }], 'path_traversal'],
    ['leading ..', [...base(), { name: '../etc/passwd', data: 'x' }], 'path_traversal'],
    ['absolute', [...base(), { name: '/etc/passwd', data: 'x' }], 'invalid_path'],
    ['backslash', [...base(), { name: 'artifacts\\..\\x', data: 'x' }], 'invalid_path'],
    ['duplicate', [...base(), { name: 'artifacts/a.json', data: 'other' }], 'duplicate_path'],
    ['case collision', [...base(), { name: 'artifacts/A.json', data: 'x' }], 'duplicate_path'],
    ['NFD name', [...base(), { name: 'artifacts/cafe\u0301.json', data: 'x' }], 'path_not_nfc'],
    ['reserved name', [...base(), { name: 'artifacts/con.txt', data: 'x' }], 'reserved_name'],
    ['empty segment', [...base(), { name: 'artifacts//x', data: 'x' }], 'invalid_path'],
    ['control char', [...base(), { name: 'artifacts/a\u0001b', data: 'x' }], 'invalid_path'],
    ['invalid UTF-8 name', [...base(), { name: Buffer.from([0x61, 0x72, 0x74, 0x69, 0x66, 0x61, 0x63, 0x74, 0x73, 0x2f, 0xff, 0xfe]), data: 'x' }], 'invalid_utf8'],
    ['AppleDouble dir', [...base(), { name: '__MACOSX/.DS_Store', data: 'x' }], 'apple_double'],
    ['AppleDouble file', [...base(), { name: 'artifacts/._a.json', data: 'x' }], 'apple_double'],
    ['DS_Store', [...base(), { name: 'artifacts/.DS_Store', data: 'x' }], 'apple_metadata'],
    ['non-empty directory', [...base(), { name: 'artifacts/sub/', data: 'x' }], 'invalid_directory_entry'],
    ['dir attrs without slash', [...base(), { name: 'artifacts/sub', unixMode: 0o40755 }], 'directory_slash_mismatch'],
    ['file attrs with slash', [...base(), { name: 'artifacts/file.txt/', unixMode: 0o100644 }], 'directory_slash_mismatch'],
    ['DOS dir attr without slash', [...base(), { name: 'artifacts/sub', externalAttributes: 0x10 }], 'directory_slash_mismatch'],
    ['encrypted', [...base(), { name: 'artifacts/e', data: 'x', flags: 0x0801 }], 'encrypted_entry'],
    ['unsupported method', [...base(), { name: 'artifacts/x', data: 'x', method: 12 as 0 }], 'unsupported_compression'],
    ['overlapping entries', [...base(), { name: 'artifacts/b.json', data: good['artifacts/a.json'], shareDataWith: 2 }], 'overlapping_entries'],
    ['local name differs', [...base(), { name: 'artifacts/b.json', data: 'x', localName: 'artifacts/c.json' }], 'local_header_mismatch'],
    ['Unicode path extra differs', [...base(), { name: 'artifacts/b.json', data: 'x', extra: unicodePathExtra('artifacts/evil.json') }], 'ambiguous_entry_name'],
    ['stored size lie', [...base(), { name: 'artifacts/b.json', data: 'xyz', uncompressedSize: 2 }], 'entry_size_mismatch'],
    ['extra top-level file', [...base(), { name: 'README.md', data: 'x' }], 'extra_top_level_entry'],
    ['extra top-level dir', [...base(), { name: 'extra/' }], 'extra_top_level_entry'],
    ['attestation subfolder', [...base(), { name: 'attestations/sub/k.sigstore.json', data: '{}' }], 'attestation_not_direct_child'],
    ['attestation name', [...base(), { name: 'attestations/key.json', data: '{}' }], 'invalid_attestation_filename'],
    ['attestation dotfile', [...base(), { name: 'attestations/.sigstore.json', data: '{}' }], 'invalid_attestation_filename'],
    ['attestation at root', [...base(), { name: 'signer.sigstore.json', data: '{}' }], 'attestation_wrong_location'],
    ['missing manifest', [{ name: 'artifacts/' }, { name: 'artifacts/a.json', data: 'x' }], 'missing_manifest'],
    ['manifest not at root', [{ name: 'data/manifest.json', data: manifestFor({}) }, { name: 'artifacts/' }], 'manifest_not_at_root'],
    ['no artifacts directory', [{ name: 'manifest.json', data: manifestFor({}) }], 'missing_artifacts_directory'],
    ['missing artifact', [{ name: 'manifest.json', data: manifestFor(good) }, { name: 'artifacts/' }], 'missing_embedded_artifact'],
    ['case mismatch is missing', [{ name: 'manifest.json', data: manifestFor({ 'artifacts/Data.json': 'x' }) }, { name: 'artifacts/data.json', data: 'x' }], 'missing_embedded_artifact'],
    ['extra artifact', [...base(), { name: 'artifacts/unlisted.json', data: 'x' }], 'extra_artifact_not_in_manifest'],
    ['size differs from manifest', [{ name: 'manifest.json', data: manifestFor(good) }, { name: 'artifacts/a.json', data: '{"a":2} ' }], 'size_mismatch'],
  ];
  it.each(cases)('%s', async (_name, entries, code) => {
    expect((await openCode(entries)).split('|')).toContain(code);
  });

  it('rejects a declared compression bomb before inflating', async () => {
    const zeros = Buffer.alloc(20 * 1024 * 1024);
    const entries: CraftEntry[] = [...packEntries(good), { name: 'artifacts/zeros.bin', data: zeros, method: 8 }];
    expect((await openCode(entries)).split('|')).toContain('compression_bomb');
  });

  it('catches a bomb that lies about its size while inflating', async () => {
    const zeros = Buffer.alloc(30 * 1024 * 1024);
    const compressed = deflateRawSync(zeros).length;
    // declares a harmless ratio; the real data expands ~1000:1
    const entries: CraftEntry[] = [...packEntries(good), { name: 'artifacts/zeros.bin', data: zeros, method: 8, uncompressedSize: compressed * 50 }];
    const zip = await SafeZip.open(write(craftZip(entries)));
    const stream = zip.openEntry('artifacts/zeros.bin');
    const code = await codeOf((async () => {
      for await (const _ of stream) void _;
    })());
    expect(['entry_size_mismatch', 'zip_bomb|compression_bomb', 'compression_bomb']).toContain(code);
    await zip.close();
  });

  it('detects a CRC mismatch while reading', async () => {
    const entries: CraftEntry[] = [...packEntries(good), { name: 'artifacts/b.txt', data: 'hello', crc: 1234 }];
    const zip = await SafeZip.open(write(craftZip(entries)));
    expect(await codeOf(zip.readEntry('artifacts/b.txt', 100))).toBe('crc_mismatch');
    await zip.close();
  });

  it('enforces entry and size budgets', async () => {
    const many = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`artifacts/f${i}.txt`, `${i}`]));
    expect(await openCode(packEntries(many), { maxEntryCount: 100 })).toBe('too_many_entries');
    const big = { 'artifacts/big.bin': Buffer.alloc(2 * 1024 * 1024, 7) };
    expect(await openCode(packEntries(big), { maxArtifactSize: 1024 * 1024 })).toBe('artifact_too_large');
  });
});

describe('SafeZip: not a ZIP', () => {
  it('rejects text, truncation, prefixes and trailing bytes', async () => {
    expect(await codeOf(SafeZip.open(write(Buffer.from('This is not a ZIP file'))))).toBe('invalid_zip_format');
    const valid = craftZip(packEntries(good));
    expect(await codeOf(SafeZip.open(write(valid.subarray(0, valid.length - 5))))).toBe('invalid_zip_format');
    expect(await codeOf(SafeZip.open(write(Buffer.concat([valid, Buffer.from('junk')]))))).toBe('invalid_zip_format');
    expect(await codeOf(SafeZip.open(write(craftZip(packEntries(good), { prefix: Buffer.from('#!/bin/sh\n') }))))).toBe('invalid_zip_format');
  });

  it('reports a missing file as not found', async () => {
    const err = await SafeZip.open(path.join(dir, 'nope.epack')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EpackError);
    expect((err as EpackError).code).toBe('file_not_found');
    expect((err as EpackError).kind).toBe('not_found');
  });
});

/** Rewrites the end-of-central-directory record of a crafted archive. */
function patchEocd(zip: Buffer, patch: (eocd: Buffer) => void): Buffer {
  const copy = Buffer.from(zip);
  patch(copy.subarray(copy.length - 22));
  return copy;
}

/** Inserts a ZIP64 end record and locator before the classic end record. */
function withZip64(zip: Buffer, fields: { entries: bigint; size: bigint; offset: bigint }): Buffer {
  const eocdAt = zip.length - 22;
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(fields.entries, 24);
  record.writeBigUInt64LE(fields.entries, 32);
  record.writeBigUInt64LE(fields.size, 40);
  record.writeBigUInt64LE(fields.offset, 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(eocdAt), 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([zip.subarray(0, eocdAt), record, locator, zip.subarray(eocdAt)]);
}

describe('SafeZip: end-of-central-directory tricks', () => {
  const valid = craftZip(packEntries(good));
  const eocd = valid.subarray(valid.length - 22);
  const count = eocd.readUInt16LE(10);
  const size = eocd.readUInt32LE(12);
  const offset = eocd.readUInt32LE(16);

  it('rejects a central directory smaller than its records (a hidden second directory)', async () => {
    const bad = patchEocd(valid, (e) => e.writeUInt32LE(size - 10, 12));
    expect(await codeOf(SafeZip.open(write(bad)))).toBe('invalid_zip_format');
  });

  it('rejects an entry count that hides entries', async () => {
    const bad = patchEocd(valid, (e) => {
      e.writeUInt16LE(count - 1, 8);
      e.writeUInt16LE(count - 1, 10);
    });
    expect(await codeOf(SafeZip.open(write(bad)))).toBe('invalid_zip_format');
  });

  it('rejects saturated fields without a ZIP64 record', async () => {
    const bad = patchEocd(valid, (e) => e.writeUInt32LE(0xffffffff, 16));
    expect(await codeOf(SafeZip.open(write(bad)))).toBe('invalid_zip64');
  });

  it('accepts a consistent ZIP64 record and rejects one that disagrees', async () => {
    const ok = withZip64(valid, { entries: BigInt(count), size: BigInt(size), offset: BigInt(offset) });
    const zip = await SafeZip.open(write(ok));
    expect(zip.files.has('artifacts/a.json')).toBe(true);
    await zip.close();
    const lying = withZip64(valid, { entries: BigInt(count + 1), size: BigInt(size), offset: BigInt(offset) });
    expect(await codeOf(SafeZip.open(write(lying)))).toBe('invalid_zip64');
  });
});

function unicodePathExtra(name: string): Buffer {
  const data = Buffer.concat([Buffer.from([1, 0, 0, 0, 0]), Buffer.from(name)]);
  const header = Buffer.alloc(4);
  header.writeUInt16LE(0x7075, 0);
  header.writeUInt16LE(data.length, 2);
  return Buffer.concat([header, data]);
}

describe('SafeZip: entry reads check size and CRC-32, small entries (one read) and large ones (streamed) alike', () => {
  const sizes = { small: 3000, large: 1536 * 1024 };
  async function readCode(data: Buffer, lie: Partial<CraftEntry>): Promise<string> {
    const zip = await SafeZip.open(write(craftZip([...packEntries(good), { name: 'artifacts/b.bin', data, method: 8, ...lie }])));
    try {
      return await codeOf(
        (async () => {
          for await (const _ of zip.openEntry('artifacts/b.bin')) void _;
        })(),
      );
    } finally {
      await zip.close();
    }
  }
  for (const [label, size] of Object.entries(sizes)) {
    // random bytes: deflate cannot shrink them, so no ratio check gets in the way
    const data = Buffer.from(Array.from({ length: size }, (_, i) => (i * 2654435761) >>> 24));
    it(`${label}: the true content reads back`, async () => {
      expect(await readCode(data, {})).toBe('ok');
    });
    it(`${label}: inflating past the declared size is entry_size_mismatch`, async () => {
      expect(await readCode(data, { uncompressedSize: size - 1 })).toBe('entry_size_mismatch');
    });
    it(`${label}: inflating to less than the declared size is entry_size_mismatch`, async () => {
      expect(await readCode(data, { uncompressedSize: size + 1 })).toBe('entry_size_mismatch');
    });
    it(`${label}: a wrong CRC-32 is crc_mismatch`, async () => {
      expect(await readCode(data, { crc: 12345 })).toBe('crc_mismatch');
    });
  }
});
