/**
 * Safe ZIP reading for Evidence Packs (pack.md §2, §5.2, §7; the security
 * appendix §4). The central directory is read with yauzl (random access by
 * file descriptor, lazy entries, raw names); everything a hostile archive can
 * lie about is then checked here before any byte is handed out:
 *
 * - the end-of-central-directory records agree with each other and the
 *   central directory ends exactly where they say (no hidden or prepended
 *   directories, no ZIP64 record that contradicts the classic one, no bytes
 *   before the first entry);
 * - entry names are strict UTF-8 and pass the spec's path rules; no `..`,
 *   AppleDouble or `.DS_Store` entries; no duplicates, no names that collide
 *   on Windows (case, trailing dots/spaces);
 * - entry types from the external attributes: no symlinks, devices, FIFOs or
 *   sockets; directory attributes agree with the trailing slash; directory
 *   entries are empty;
 * - only `manifest.json`, `artifacts/**` and `attestations/*.sigstore.json`;
 * - no encryption, only store and deflate;
 * - every local header matches its central directory record and no two
 *   entries' data overlap;
 * - size, count and compression-ratio budgets, checked against the declared
 *   sizes first and again while inflating (declared sizes are never trusted
 *   alone: an entry that inflates to more or fewer bytes than declared, or
 *   whose CRC differs, fails).
 */
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import * as yauzl from 'yauzl';
import { EpackError, NotFoundError, PackError } from '../error.js';
import { resolveLimits } from './limits.js';
import { ATTESTATIONS_PREFIX, MANIFEST_PATH, checkCompressionRatio, checkEntryAttributes, checkPackStructure, COMPRESSION_RATIO_GRACE_BYTES } from './entries.js';
import type { PackLimits } from './types.js';

/**
 * Read and inflate in 512 KiB pieces: with zlib's default 16 KiB output
 * chunks, per-chunk stream overhead (not inflating or hashing) dominated
 * reading large artifacts (docs/performance.md).
 */
const READ_CHUNK = 512 * 1024;

/** One file entry of the archive, after validation. */
export interface ZipFileEntry {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  /** 0 = stored, 8 = deflated. */
  compressionMethod: 0 | 8;
  crc32: number;
  localHeaderOffset: number;
  /** Offset of the first data byte (after the local header). */
  dataStart: number;
}

/** What kind of pack member an entry is. */
export type MemberRole = 'manifest' | 'artifact' | 'attestation';

export function entryRole(name: string): MemberRole {
  if (name === MANIFEST_PATH) return 'manifest';
  if (name.startsWith(ATTESTATIONS_PREFIX)) return 'attestation';
  return 'artifact';
}

/** An open, validated Evidence Pack archive. */
export class SafeZip {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly limits: PackLimits,
    /** File entries by name, in central directory order. */
    readonly files: ReadonlyMap<string, ZipFileEntry>,
    /** Directory entry names (with their trailing slash). */
    readonly directories: readonly string[],
    /** Size of the archive file in bytes. */
    readonly archiveSize: number,
  ) {}

  /**
   * Opens and validates `path`. Throws NotFoundError `file_not_found` for a
   * missing file, PackError for anything the archive does wrong.
   */
  static async open(path: string, limits: Partial<PackLimits> = {}): Promise<SafeZip> {
    const resolved = resolveLimits(limits);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      throw openError(path, err);
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new PackError('invalid_zip_format', `${path} is not a regular file`);
      const scan = await scanArchive(handle, stat.size, resolved);
      return new SafeZip(path, handle, resolved, scan.files, scan.directories, stat.size);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  has(name: string): boolean {
    return this.files.has(name);
  }

  /**
   * Streams one file entry's bytes. The stream fails with `entry_too_large`
   * past `maxBytes`, `compression_bomb` when inflation outruns the ratio
   * budget, `entry_size_mismatch` / `crc_mismatch` when the bytes disagree
   * with the central directory.
   */
  openEntry(name: string, maxBytes = Number.MAX_SAFE_INTEGER): Readable {
    const entry = this.files.get(name);
    if (!entry) throw new PackError('missing_entry', `${name} is not in the pack`);
    if (entry.uncompressedSize > maxBytes) throw tooLarge(entry.name, entry.uncompressedSize, maxBytes);
    if (entry.compressedSize <= SMALL_ENTRY_BYTES && entry.uncompressedSize <= SMALL_ENTRY_BYTES) {
      return Readable.from(readSmallEntry(this.handle, entry, maxBytes, this.limits.maxCompressionRatio), { objectMode: false });
    }
    const raw = new RangeReader(this.handle, entry.dataStart, entry.compressedSize);
    const guard = new EntryGuard(entry, maxBytes, this.limits.maxCompressionRatio, () => raw.consumed);
    if (entry.compressionMethod === 0) {
      raw.on('error', (err: Error) => guard.destroy(err));
      return raw.pipe(guard);
    }
    // output buffers no larger than the entry: small entries must not allocate READ_CHUNK each
    const inflate = zlib.createInflateRaw({ chunkSize: Math.max(1024, Math.min(READ_CHUNK, entry.uncompressedSize)) });
    raw.on('error', (err: Error) => guard.destroy(err));
    inflate.on('error', (err) => guard.destroy(new PackError('invalid_zip_format', `${name}: corrupt deflate data (${err.message})`, { cause: err })));
    guard.on('close', () => {
      raw.destroy();
      inflate.destroy();
    });
    return raw.pipe(inflate).pipe(guard);
  }

  /** Reads one (small) entry fully into memory, bounded by `maxBytes`. */
  async readEntry(name: string, maxBytes: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    await pipeline(this.openEntry(name, maxBytes), async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) chunks.push(chunk);
    });
    return Buffer.concat(chunks);
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

function openError(path: string, err: unknown): EpackError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new NotFoundError('file_not_found', `${path}: no such file`, { cause: err, hint: 'check the path' });
  if (code === 'EISDIR') return new PackError('invalid_zip_format', `${path} is a directory, not a pack`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new PackError('permission_denied', `${path}: permission denied`, { cause: err });
  return new PackError('read_failed', `${path}: ${(err as Error).message}`, { cause: err });
}

function tooLarge(name: string, size: number, max: number): PackError {
  const role = entryRole(name);
  const code = role === 'manifest' ? 'manifest_too_large' : role === 'attestation' ? 'attestation_too_large' : 'artifact_too_large';
  return new PackError(code, `${name} is ${size} bytes, the limit is ${max}`, { details: { path: name, size, limit: max } });
}

// ---------------------------------------------------------------------------
// End of central directory

interface CentralDirectoryBounds {
  offset: number;
  size: number;
  entryCount: number;
  /** Where the central directory must end: the ZIP64 EOCD record or the EOCD. */
  end: number;
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buf, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new PackError('invalid_zip_format', 'unexpected end of archive');
    filled += bytesRead;
  }
  return buf;
}

function notZip(why: string): PackError {
  return new PackError('invalid_zip_format', `not a valid ZIP archive: ${why}`, { hint: 'an Evidence Pack is a ZIP file (.epack)' });
}

async function readCentralDirectoryBounds(handle: FileHandle, fileSize: number): Promise<CentralDirectoryBounds> {
  if (fileSize < 22) throw notZip('too short');
  const tailLength = Math.min(fileSize, 22 + 0xffff + 20);
  const tailStart = fileSize - tailLength;
  const tail = await readAt(handle, tailStart, tailLength);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50 && tail.readUInt16LE(i + 20) === tail.length - i - 22) {
      at = i;
      break;
    }
  }
  if (at < 0) throw notZip('no end of central directory record (or trailing bytes after it)');
  const disk = tail.readUInt16LE(at + 4);
  const cdDisk = tail.readUInt16LE(at + 6);
  const entriesOnDisk = tail.readUInt16LE(at + 8);
  let entryCount = tail.readUInt16LE(at + 10);
  let size = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);
  let end = tailStart + at;
  if (disk !== 0 || cdDisk !== 0 || entriesOnDisk !== entryCount) throw notZip('multi-disk archives are not supported');

  const locatorAt = at - 20;
  const hasLocator = locatorAt >= 0 && tail.readUInt32LE(locatorAt) === 0x07064b50;
  if (hasLocator) {
    const recordOffset = Number(tail.readBigUInt64LE(locatorAt + 8));
    if (tail.readUInt32LE(locatorAt + 4) !== 0 || tail.readUInt32LE(locatorAt + 16) > 1) throw notZip('multi-disk ZIP64 archives are not supported');
    if (recordOffset + 56 > tailStart + locatorAt) throw zip64Error('ZIP64 end of central directory record is out of place');
    const record = await readAt(handle, recordOffset, 56);
    if (record.readUInt32LE(0) !== 0x06064b50) throw zip64Error('bad ZIP64 end of central directory signature');
    const recordSize = Number(record.readBigUInt64LE(4));
    if (recordOffset + 12 + recordSize !== tailStart + locatorAt) throw zip64Error('ZIP64 end of central directory record size is inconsistent');
    if (record.readUInt32LE(16) !== 0 || record.readUInt32LE(20) !== 0) throw notZip('multi-disk ZIP64 archives are not supported');
    const count64 = record.readBigUInt64LE(24);
    const total64 = record.readBigUInt64LE(32);
    const size64 = record.readBigUInt64LE(40);
    const offset64 = record.readBigUInt64LE(48);
    if (count64 !== total64) throw notZip('multi-disk ZIP64 archives are not supported');
    // classic fields must either be saturated or agree with the ZIP64 ones
    if ((entryCount !== 0xffff && BigInt(entryCount) !== total64) || (size !== 0xffffffff && BigInt(size) !== size64) || (offset !== 0xffffffff && BigInt(offset) !== offset64)) {
      throw zip64Error('ZIP64 and classic end of central directory records disagree');
    }
    if (total64 > BigInt(Number.MAX_SAFE_INTEGER) || size64 > BigInt(Number.MAX_SAFE_INTEGER) || offset64 > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw zip64Error('ZIP64 sizes out of range');
    }
    entryCount = Number(total64);
    size = Number(size64);
    offset = Number(offset64);
    end = recordOffset;
  } else if (entryCount === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    // saturated fields without a ZIP64 record: readers would disagree on the real values
    throw zip64Error('saturated end of central directory fields without a ZIP64 record');
  }
  if (offset + size !== end) throw notZip('central directory does not end at the end of central directory record (hidden or prepended data)');
  return { offset, size, entryCount, end };
}

function zip64Error(why: string): PackError {
  return new PackError('invalid_zip64', `invalid ZIP64 structure: ${why}`);
}

// ---------------------------------------------------------------------------
// Central directory scan

interface RawEntry {
  name: string;
  nameBytes: Buffer;
  isDirectory: boolean;
  flags: number;
  compressionMethod: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  versionMadeBy: number;
  externalAttributes: number;
  recordLength: number;
  extraFields: { id: number; data: Buffer }[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

async function scanArchive(handle: FileHandle, fileSize: number, limits: PackLimits): Promise<{ files: Map<string, ZipFileEntry>; directories: string[] }> {
  const bounds = await readCentralDirectoryBounds(handle, fileSize);
  if (bounds.entryCount > limits.maxEntryCount) {
    throw new PackError('too_many_entries', `the archive has ${bounds.entryCount} entries, the limit is ${limits.maxEntryCount}`);
  }
  const raw = await readCentralDirectory(handle, fileSize, bounds);
  if (raw.length !== bounds.entryCount) throw notZip('entry count does not match the central directory');
  const recordBytes = raw.reduce((sum, e) => sum + e.recordLength, 0);
  if (recordBytes !== bounds.size) throw notZip('central directory size does not match its records');

  const files = new Map<string, ZipFileEntry>();
  const directories: string[] = [];
  const seenNames = new Set<string>();
  for (const e of raw) {
    checkEntryHeader(e);
    if (seenNames.has(e.name)) throw new PackError('duplicate_path', `duplicate entry ${JSON.stringify(e.name)}`, { details: { entry: e.name, reason: 'duplicate_path' } });
    seenNames.add(e.name);
    const host = e.versionMadeBy >> 8;
    const mode = e.externalAttributes >>> 16;
    checkEntryAttributes({
      name: e.name,
      compressedSize: e.compressedSize,
      uncompressedSize: e.uncompressedSize,
      ...(host === HOST_UNIX || mode !== 0 ? { unixMode: mode } : {}),
      dosDirectory: (e.externalAttributes & DOS_DIRECTORY) !== 0,
    });
    if (!e.isDirectory) checkCompressionRatio(e.name, e.compressedSize, e.uncompressedSize, limits.maxCompressionRatio);
  }
  // names, places, manifest and artifacts/ presence, case collisions
  checkPackStructure(raw.map((e) => e.name));

  let declaredTotal = 0;
  let artifactCount = 0;
  for (const e of raw) {
    if (e.isDirectory) {
      directories.push(e.name);
      continue;
    }
    const role = entryRole(e.name);
    const max = role === 'manifest' ? limits.maxManifestSize : role === 'attestation' ? limits.maxAttestationSize : limits.maxArtifactSize;
    if (e.uncompressedSize > max) throw tooLarge(e.name, e.uncompressedSize, max);
    if (role === 'artifact' && ++artifactCount > limits.maxArtifactCount) {
      throw new PackError('too_many_artifacts', `the pack has more than ${limits.maxArtifactCount} artifacts`);
    }
    declaredTotal += e.uncompressedSize;
    if (declaredTotal > limits.maxPackSize) throw new PackError('pack_too_large', `the pack's contents exceed ${limits.maxPackSize} bytes`);
    files.set(e.name, {
      name: e.name,
      compressedSize: e.compressedSize,
      uncompressedSize: e.uncompressedSize,
      compressionMethod: e.compressionMethod as 0 | 8,
      crc32: e.crc32,
      localHeaderOffset: e.localHeaderOffset,
      dataStart: -1,
    });
  }
  await checkLocalHeaders(new WindowedReader(handle, fileSize), raw, files, bounds.offset);
  return { files, directories };
}

/** The central directory and end records are read into memory at once when they take at most this much. */
const MAX_CACHED_DIRECTORY_BYTES = 32 * 1024 * 1024;

async function readCentralDirectory(handle: FileHandle, fileSize: number, bounds: CentralDirectoryBounds): Promise<RawEntry[]> {
  const directoryBytes = fileSize - bounds.offset;
  const reader =
    directoryBytes <= MAX_CACHED_DIRECTORY_BYTES ? new DirectoryCachingReader(handle, await readAt(handle, bounds.offset, directoryBytes), bounds.offset) : undefined;
  return new Promise((resolve, reject) => {
    const options = { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: false, strictFileNames: true };
    const onOpen = (err: Error | null, zip?: yauzl.ZipFile): void => {
      if (err || !zip) {
        reject(notZip(err?.message ?? 'unreadable'));
        return;
      }
      const entries: RawEntry[] = [];
      zip.on('error', (e: Error) => reject(e instanceof EpackError ? e : centralDirectoryError(e)));
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        try {
          entries.push(toRawEntry(entry));
          zip.readEntry();
        } catch (e) {
          zip.close();
          reject(e);
        }
      });
      zip.readEntry();
    };
    if (reader) yauzl.fromRandomAccessReader(reader, fileSize, options, onOpen);
    else yauzl.fromFd(handle.fd, options, onOpen);
  });
}

/**
 * yauzl reads every central directory record with reads of its own (two per
 * entry: 4,000 thread-pool round trips for a pack of 2,000 artifacts). This
 * reader serves the central directory and the end records from one read
 * into memory, and anything else from the file.
 */
class DirectoryCachingReader extends yauzl.RandomAccessReader {
  constructor(
    private readonly handle: FileHandle,
    private readonly cached: Buffer,
    private readonly cachedStart: number,
  ) {
    super();
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, bytesRead?: number) => void): void {
    const at = position - this.cachedStart;
    if (at >= 0 && at + length <= this.cached.length) {
      this.cached.copy(buffer, offset, at, at + length);
      // never synchronously: yauzl would recurse once per entry
      process.nextTick(callback, null, length);
      return;
    }
    this.handle.read(buffer, offset, length, position).then(
      ({ bytesRead }) => callback(null, bytesRead),
      (err: Error) => callback(err),
    );
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return createReadStream('', { fd: this.handle.fd, start, end: end - 1, autoClose: false });
  }

  /** The file handle belongs to the caller. */
  override close(callback: (err: Error | null) => void): void {
    callback(null);
  }
}

function centralDirectoryError(err: Error): PackError {
  if (/encrypt/i.test(err.message)) return new PackError('encrypted_entry', `the archive uses encryption: ${err.message}`, { cause: err });
  if (/zip64/i.test(err.message)) return zip64Error(err.message);
  return notZip(err.message);
}

function toRawEntry(entry: yauzl.Entry): RawEntry {
  const nameBytes = entry.fileName as unknown as Buffer;
  let name: string;
  try {
    name = utf8.decode(nameBytes);
  } catch {
    throw new PackError('invalid_utf8', `an entry name is not valid UTF-8 (${nameBytes.toString('hex')})`);
  }
  const raw = entry as unknown as { extraFieldLength: number; fileCommentLength: number; fileNameLength: number };
  return {
    name,
    nameBytes,
    isDirectory: name.endsWith('/'),
    flags: entry.generalPurposeBitFlag,
    compressionMethod: entry.compressionMethod,
    crc32: entry.crc32,
    compressedSize: entry.compressedSize,
    uncompressedSize: entry.uncompressedSize,
    localHeaderOffset: entry.relativeOffsetOfLocalHeader,
    versionMadeBy: entry.versionMadeBy,
    externalAttributes: entry.externalFileAttributes,
    recordLength: 46 + raw.fileNameLength + raw.extraFieldLength + raw.fileCommentLength,
    extraFields: entry.extraFields,
  };
}

function checkEntryHeader(e: RawEntry): void {
  if (e.flags & 0x0001 || e.flags & 0x0040) throw new PackError('encrypted_entry', `${e.name} is encrypted; packs must not contain encrypted entries`);
  if (e.compressionMethod !== 0 && e.compressionMethod !== 8) {
    throw new PackError('unsupported_compression', `${e.name} uses compression method ${e.compressionMethod}; only store and deflate are allowed`);
  }
  if (e.compressionMethod === 0 && e.compressedSize !== e.uncompressedSize) {
    throw new PackError('entry_size_mismatch', `${e.name} is stored but its compressed and uncompressed sizes differ`);
  }
  for (const field of e.extraFields) {
    if (field.id !== 0x7075) continue;
    // Info-ZIP Unicode Path: some readers use it instead of the name; refuse any disagreement
    if (field.data.length < 5 || !field.data.subarray(5).equals(e.nameBytes)) {
      throw new PackError('ambiguous_entry_name', `${e.name} carries a different Unicode path extra field`);
    }
  }
}

const DOS_DIRECTORY = 0x10;
const HOST_UNIX = 3;

// ---------------------------------------------------------------------------
// Local headers and overlap

/**
 * Reads small ranges through one 64 KiB window. Local headers come in
 * increasing offsets, so those of a pack of many small entries share reads:
 * 2,000 entries took 4,000 reads one after another, now about 140.
 */
class WindowedReader {
  private window: Buffer = Buffer.alloc(0);
  private start = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly fileSize: number,
    private readonly windowBytes = 64 * 1024,
  ) {}

  async read(position: number, length: number): Promise<Buffer> {
    const offset = position - this.start;
    if (offset >= 0 && offset + length <= this.window.length) return this.window.subarray(offset, offset + length);
    const available = this.fileSize - position;
    if (available < length) throw new PackError('invalid_zip_format', 'unexpected end of archive');
    this.window = await readAt(this.handle, position, Math.min(available, Math.max(length, this.windowBytes)));
    this.start = position;
    return this.window.subarray(0, length);
  }
}

async function checkLocalHeaders(reader: WindowedReader, raw: RawEntry[], files: Map<string, ZipFileEntry>, centralDirectoryOffset: number): Promise<void> {
  const ranges: { start: number; end: number; name: string }[] = [];
  // a header mismatch is reported after the overlap check: two entries sharing
  // one local header (the classic overlapping bomb) are named as such
  let firstMismatch: PackError | undefined;
  for (const e of raw) {
    const header = await reader.read(e.localHeaderOffset, 30).catch(() => {
      throw new PackError('local_header_mismatch', `${e.name}: local header is outside the archive`);
    });
    if (header.readUInt32LE(0) !== 0x04034b50) throw new PackError('local_header_mismatch', `${e.name}: no local file header at offset ${e.localHeaderOffset}`);
    const flags = header.readUInt16LE(6);
    const method = header.readUInt16LE(8);
    const nameLength = header.readUInt16LE(26);
    const extraLength = header.readUInt16LE(28);
    const variable = await reader.read(e.localHeaderOffset + 30, nameLength + extraLength);
    const mismatch = (what: string): PackError => new PackError('local_header_mismatch', `${e.name}: local header ${what} differs from the central directory`);
    if (!variable.subarray(0, nameLength).equals(e.nameBytes)) firstMismatch ??= mismatch('name');
    if (method !== e.compressionMethod) firstMismatch ??= mismatch('compression method');
    if ((flags & 0x0001) !== (e.flags & 0x0001)) firstMismatch ??= mismatch('encryption flag');
    if ((flags & 0x0008) === 0 && !firstMismatch) {
      let compressed = header.readUInt32LE(18);
      let uncompressed = header.readUInt32LE(22);
      if (compressed === 0xffffffff || uncompressed === 0xffffffff) {
        const zip64 = parseExtra(variable.subarray(nameLength)).find((f) => f.id === 0x0001);
        if (!zip64 || zip64.data.length < 16) throw mismatch('ZIP64 sizes');
        uncompressed = Number(zip64.data.readBigUInt64LE(0));
        compressed = Number(zip64.data.readBigUInt64LE(8));
      }
      if (header.readUInt32LE(14) !== e.crc32 || compressed !== e.compressedSize || uncompressed !== e.uncompressedSize) throw mismatch('CRC or sizes');
    }
    const dataStart = e.localHeaderOffset + 30 + nameLength + extraLength;
    const end = dataStart + e.compressedSize;
    if (end > centralDirectoryOffset) throw new PackError('overlapping_entries', `${e.name}: data runs into the central directory`);
    ranges.push({ start: e.localHeaderOffset, end, name: e.name });
    const file = files.get(e.name);
    if (file) file.dataStart = dataStart;
  }
  ranges.sort((a, b) => a.start - b.start);
  if (ranges.length > 0 && ranges[0]!.start !== 0) throw notZip('bytes before the first entry (a prefixed or polyglot file)');
  for (let i = 1; i < ranges.length; i++) {
    const prev = ranges[i - 1]!;
    const cur = ranges[i]!;
    if (cur.start < prev.end) throw new PackError('overlapping_entries', `entries ${prev.name} and ${cur.name} share bytes`, { details: { paths: [prev.name, cur.name] } });
  }
  if (firstMismatch) throw firstMismatch;
}

function parseExtra(buf: Buffer): { id: number; data: Buffer }[] {
  const fields: { id: number; data: Buffer }[] = [];
  let i = 0;
  while (i + 4 <= buf.length) {
    const id = buf.readUInt16LE(i);
    const size = buf.readUInt16LE(i + 2);
    if (i + 4 + size > buf.length) throw new PackError('invalid_zip_format', 'malformed extra field');
    fields.push({ id, data: buf.subarray(i + 4, i + 4 + size) });
    i += 4 + size;
  }
  return fields;
}

// ---------------------------------------------------------------------------
// Streaming

/** Reads `length` bytes at `start` of a shared file handle, in bounded chunks. */
class RangeReader extends Readable {
  private position: number;
  private readonly end: number;
  consumed = 0;

  constructor(
    private readonly handle: FileHandle,
    start: number,
    length: number,
  ) {
    super({ highWaterMark: READ_CHUNK });
    this.position = start;
    this.end = start + length;
  }

  override _read(): void {
    const length = Math.min(READ_CHUNK, this.end - this.position);
    if (length <= 0) {
      this.push(null);
      return;
    }
    const buf = Buffer.allocUnsafe(length);
    this.handle.read(buf, 0, length, this.position).then(
      ({ bytesRead }) => {
        if (bytesRead === 0) {
          this.destroy(new PackError('invalid_zip_format', 'unexpected end of archive'));
          return;
        }
        this.position += bytesRead;
        this.consumed += bytesRead;
        this.push(buf.subarray(0, bytesRead));
      },
      (err: unknown) => this.destroy(err as Error),
    );
  }
}

/**
 * Counts what an entry really yields: fails past the byte budget or the
 * declared size, when the running expansion ratio exceeds the limit, and at
 * the end when the size or CRC-32 differs from the central directory.
 */
class EntryGuard extends Transform {
  private produced = 0;
  private crc = 0;

  constructor(
    private readonly entry: ZipFileEntry,
    private readonly maxBytes: number,
    private readonly maxRatio: number,
    private readonly consumed: () => number,
  ) {
    super({ highWaterMark: READ_CHUNK });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.produced += chunk.length;
    const e = this.entry;
    const overrun = inflationOverrun(e, this.produced, this.consumed(), this.maxBytes, this.maxRatio);
    if (overrun) return cb(overrun);
    this.crc = zlib.crc32(chunk, this.crc);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    cb(endMismatch(this.entry, this.produced, this.crc));
  }
}

/** What is wrong once `produced` bytes came out of `consumed` input bytes, if anything. */
function inflationOverrun(e: ZipFileEntry, produced: number, consumed: number, maxBytes: number, maxRatio: number): PackError | undefined {
  if (produced > maxBytes) return tooLarge(e.name, produced, maxBytes);
  if (produced > e.uncompressedSize) {
    return new PackError('entry_size_mismatch', `${e.name} inflates to more than its declared ${e.uncompressedSize} bytes`, { details: { path: e.name } });
  }
  if (produced > COMPRESSION_RATIO_GRACE_BYTES && produced > Math.max(consumed, 1) * maxRatio) {
    return new PackError('compression_bomb', `${e.name} expands more than ${maxRatio}:1 while inflating`, { details: { entry: e.name, reason: 'compression_bomb', related: ['zip_bomb'] } });
  }
  return undefined;
}

/** What is wrong with an entry's complete output, if anything. */
function endMismatch(e: ZipFileEntry, produced: number, crc: number): PackError | undefined {
  if (produced !== e.uncompressedSize) {
    return new PackError('entry_size_mismatch', `${e.name} yields ${produced} bytes, its header says ${e.uncompressedSize}`, { details: { path: e.name } });
  }
  if (crc >>> 0 !== e.crc32 >>> 0) return new PackError('crc_mismatch', `${e.name}: CRC-32 does not match (corrupt archive)`, { details: { path: e.name } });
  return undefined;
}

/**
 * Entries up to this size are read with one read and inflated in one call:
 * a pack of thousands of small artifacts spent most of its reading time
 * setting up a stream chain per entry (docs/performance.md, W2).
 */
const SMALL_ENTRY_BYTES = 1024 * 1024;

/** One small entry, checked exactly as {@link EntryGuard} checks a streamed one. */
async function* readSmallEntry(handle: FileHandle, e: ZipFileEntry, maxBytes: number, maxRatio: number): AsyncGenerator<Buffer> {
  const compressed = await readAt(handle, e.dataStart, e.compressedSize);
  let data = compressed;
  if (e.compressionMethod !== 0) {
    try {
      // one byte more than declared shows an entry that inflates too far, without inflating all of it
      data = zlib.inflateRawSync(compressed, { maxOutputLength: Math.max(1, e.uncompressedSize + 1) });
    } catch (err) {
      // past the declared size: inflationOverrun always names it (too large, or a size mismatch)
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw inflationOverrun(e, e.uncompressedSize + 1, e.compressedSize, maxBytes, maxRatio)!;
      throw new PackError('invalid_zip_format', `${e.name}: corrupt deflate data (${(err as Error).message})`, { cause: err });
    }
  }
  const overrun = inflationOverrun(e, data.length, e.compressedSize, maxBytes, maxRatio);
  if (overrun) throw overrun;
  const mismatch = endMismatch(e, data.length, zlib.crc32(data));
  if (mismatch) throw mismatch;
  if (data.length > 0) yield data;
}
