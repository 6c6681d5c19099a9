/**
 * A tiny raw ZIP writer for tests: full control over every header field, so
 * tests can build the hostile archives a real zip tool would refuse to make.
 */
import { createHash } from 'node:crypto';
import { deflateRawSync, crc32 } from 'node:zlib';

export interface CraftEntry {
  name: string | Buffer;
  data?: Buffer | string;
  /** 0 store (default), 8 deflate. */
  method?: 0 | 8;
  /** Unix mode in the upper 16 bits of the external attributes. */
  unixMode?: number;
  /** Raw external attributes (overrides unixMode). */
  externalAttributes?: number;
  /** Host byte of "version made by" (3 = unix, 0 = DOS). Default 3 when unixMode is set, else 0. */
  host?: number;
  flags?: number;
  /** Declared sizes (default: the real ones). */
  compressedSize?: number;
  uncompressedSize?: number;
  crc?: number;
  /** Name written into the local header (default: the same name). */
  localName?: string;
  /** Reuse the data of an earlier entry (index): overlapping entries. */
  shareDataWith?: number;
  extra?: Buffer;
}

export interface CraftOptions {
  /** Bytes before the first local header. */
  prefix?: Buffer;
}

export function craftZip(entries: CraftEntry[], opts: CraftOptions = {}): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer): void => {
    parts.push(b);
    offset += b.length;
  };
  if (opts.prefix) push(opts.prefix);
  const central: Buffer[] = [];
  const offsets: number[] = [];
  for (const [i, e] of entries.entries()) {
    const name = typeof e.name === 'string' ? Buffer.from(e.name, 'utf8') : e.name;
    const raw = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
    const method = e.method ?? 0;
    const body = method === 8 ? deflateRawSync(raw) : raw;
    const crc = e.crc ?? crc32(raw);
    const csize = e.compressedSize ?? body.length;
    const usize = e.uncompressedSize ?? raw.length;
    const flags = e.flags ?? 0x0800;
    const extra = e.extra ?? Buffer.alloc(0);
    let headerOffset = offset;
    if (e.shareDataWith !== undefined) {
      headerOffset = offsets[e.shareDataWith]!;
    } else {
      const localName = e.localName !== undefined ? Buffer.from(e.localName, 'utf8') : name;
      const lh = Buffer.alloc(30);
      lh.writeUInt32LE(0x04034b50, 0);
      lh.writeUInt16LE(20, 4);
      lh.writeUInt16LE(flags, 6);
      lh.writeUInt16LE(method, 8);
      lh.writeUInt16LE(0, 10);
      lh.writeUInt16LE(0x21, 12);
      lh.writeUInt32LE(crc >>> 0, 14);
      lh.writeUInt32LE(csize, 18);
      lh.writeUInt32LE(usize, 22);
      lh.writeUInt16LE(localName.length, 26);
      lh.writeUInt16LE(extra.length, 28);
      push(Buffer.concat([lh, localName, extra, body]));
    }
    offsets[i] = headerOffset;
    const host = e.host ?? (e.unixMode !== undefined ? 3 : 0);
    const attrs = e.externalAttributes ?? (e.unixMode !== undefined ? (e.unixMode << 16) >>> 0 : 0);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE((host << 8) | 20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(flags, 8);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt16LE(0, 12);
    cd.writeUInt16LE(0x21, 14);
    cd.writeUInt32LE(crc >>> 0, 16);
    cd.writeUInt32LE(csize, 20);
    cd.writeUInt32LE(usize, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt16LE(extra.length, 30);
    cd.writeUInt16LE(0, 32);
    cd.writeUInt16LE(0, 34);
    cd.writeUInt16LE(0, 36);
    cd.writeUInt32LE(attrs, 38);
    cd.writeUInt32LE(headerOffset, 42);
    central.push(Buffer.concat([cd, name, extra]));
  }
  const cdStart = offset;
  const cdBytes = Buffer.concat(central);
  push(cdBytes);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cdBytes.length, 12);
  eocd.writeUInt32LE(cdStart, 16);
  push(eocd);
  return Buffer.concat(parts);
}

export function sha256(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** A valid manifest.json for the given artifacts (path -> bytes). */
export function manifestFor(artifacts: Record<string, Buffer | string>, stream = 'test/stream'): Buffer {
  const list = Object.entries(artifacts).map(([path, data]) => ({
    type: 'embedded',
    path,
    digest: sha256(data),
    size: Buffer.byteLength(data),
  }));
  const sorted = [...list].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const packDigest = sha256(sorted.map((a) => `${a.path}\t${a.digest}\n`).join(''));
  return Buffer.from(
    JSON.stringify({ spec_version: '1.0', stream, generated_at: '2026-01-20T12:00:00Z', pack_digest: packDigest, sources: [], artifacts: list }),
  );
}

/** Entries of a valid pack with these artifacts. */
export function packEntries(artifacts: Record<string, Buffer | string>): CraftEntry[] {
  return [
    { name: 'manifest.json', data: manifestFor(artifacts) },
    { name: 'artifacts/' },
    ...Object.entries(artifacts).map(([name, data]) => ({ name, data })),
  ];
}
