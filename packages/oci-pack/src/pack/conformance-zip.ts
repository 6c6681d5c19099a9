/**
 * Archives for the conformance runner: the entry-level vectors (names,
 * types, directory entries, structure) describe single ZIP entries; to check
 * that the pack reader enforces them too, not only the entry rules, each is
 * also wrapped into a small archive. The writer here is deliberately raw (any
 * name, any external attributes, any declared size) because the interesting
 * archives are the ones a normal ZIP tool refuses to make.
 */
import { crc32 } from 'node:zlib';
import { computePackDigest, sha256Hex } from './digest.js';
import { serializeManifest } from './manifest.js';
import type { EmbeddedArtifact, PackManifest } from './types.js';

export interface RawEntry {
  name: string;
  data?: Uint8Array;
  /** Unix mode (type and permission bits) for the external attributes; host becomes Unix. */
  unixMode?: number;
  /** MS-DOS directory attribute (0x10). */
  dosDirectory?: boolean;
  /** Declared sizes, when they should differ from the data (deflate method is then declared). */
  compressedSize?: number;
  uncompressedSize?: number;
}

/** A ZIP of the entries in order: stored data, UTF-8 names, fixed timestamps. */
export function rawZip(entries: readonly RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const data = Buffer.from(e.data ?? new Uint8Array());
    const declared = e.compressedSize !== undefined || e.uncompressedSize !== undefined;
    const method = declared ? 8 : 0;
    const csize = e.compressedSize ?? data.length;
    const usize = e.uncompressedSize ?? data.length;
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(csize, 18);
    local.writeUInt32LE(usize, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const body = Buffer.concat([local, name, data]);
    const unix = e.unixMode !== undefined;
    const attrs = ((unix ? (e.unixMode as number) << 16 : 0) | (e.dosDirectory ? 0x10 : 0)) >>> 0;
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(((unix ? 3 : 0) << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(csize, 20);
    central.writeUInt32LE(usize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(attrs, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(Buffer.concat([central, name]));
    locals.push(body);
    offset += body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const CONTENT = Buffer.from('{}\n');

/**
 * A pack around some entries: a valid manifest listing `listed` (each with
 * the content `{}\n`), placed at `manifestAt` (default the root; `null` for
 * none), then the entries as given. File entries without data get the same
 * content, so listed artifacts match their digests.
 */
export function packZip(entries: readonly RawEntry[], listed: readonly string[], manifestAt: string | null = 'manifest.json'): Buffer {
  const artifacts: EmbeddedArtifact[] = listed.map((path) => ({ type: 'embedded', path, digest: 'sha256:' + sha256Hex(CONTENT), size: CONTENT.length }));
  const manifest: PackManifest = {
    spec_version: '1.0',
    stream: 'conformance/pack',
    generated_at: '2026-01-20T12:00:00Z',
    pack_digest: computePackDigest(artifacts),
    sources: [],
    artifacts,
  };
  const all: RawEntry[] = manifestAt === null ? [] : [{ name: manifestAt, data: serializeManifest(manifest) }];
  for (const e of entries) {
    const isDir = e.name.endsWith('/');
    all.push(isDir || e.data !== undefined || e.compressedSize !== undefined ? e : { ...e, data: CONTENT });
  }
  return rawZip(all);
}
