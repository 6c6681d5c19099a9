/**
 * Deterministic ZIP writing on yazl. The caller gives the entries in their
 * final order; every entry gets the same timestamp and fixed permissions, no
 * extra fields and no comments, so the same inputs always give the same
 * bytes. The archive is written to a temporary file next to the target and
 * renamed into place; on failure the temporary file is removed and the
 * target is left untouched.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import * as yazl from 'yazl';
import { EpackError, PackError } from '../error.js';
import { FlushBehind, type GrowingFile } from './flush-behind.js';
import { useNativeCrc32ForYazl } from './zip-crc.js';

useNativeCrc32ForYazl();

/**
 * 1980-01-02T00:00:00Z: the default entry time. (The earliest DOS date is
 * 1980-01-01, but yazl clamps in local time; a day later no time zone can
 * push the date under its limit.)
 */
export const DEFAULT_ZIP_TIME = new Date(Date.UTC(1980, 0, 2, 0, 0, 0));

export const FILE_MODE = 0o100644;
export const DIRECTORY_MODE = 0o40755;

export type ZipWriteEntry =
  | { kind: 'directory'; name: string }
  | {
      kind: 'file';
      name: string;
      /** Exact size in bytes; the write fails if the stream gives another count. */
      size: number;
      /** Deflate (true) or store (false). Must be decided from metadata or bytes, never from timing. */
      compress: boolean;
      /**
       * When `compress` is true, may still choose to store the entry from a
       * sample of its first bytes (the whole entry if smaller): the writer
       * buffers that head, asks, then emits head + rest, so the input is
       * read once. Must be a pure function of the sample.
       */
      sample?: { bytes: number; deflate(head: Buffer): boolean };
      /** Opened only when the entry is written, so one input is open at a time. */
      open: () => Promise<Readable>;
    };

export interface ZipWriteOptions {
  /** Timestamp of every entry (UTC); default {@link DEFAULT_ZIP_TIME}. */
  mtime?: Date;
}

export interface ZipWriteResult {
  /** Size of the written archive in bytes. */
  size: number;
  /** Compressed and uncompressed size of every file entry, by name. */
  entrySizes: Map<string, { compressed: number; uncompressed: number }>;
}

/** `SOURCE_DATE_EPOCH` (whole seconds since 1970) as a Date, or undefined when unset. */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): Date | undefined {
  const raw = env['SOURCE_DATE_EPOCH'];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new PackError('invalid_source_date_epoch', `SOURCE_DATE_EPOCH must be whole seconds since 1970, got "${raw}"`);
  return new Date(Number(raw) * 1000);
}

/**
 * The entry timestamp: `SOURCE_DATE_EPOCH` when set (not earlier than
 * {@link DEFAULT_ZIP_TIME}), else {@link DEFAULT_ZIP_TIME}.
 */
export function zipTimeFromEnv(env: NodeJS.ProcessEnv = process.env): Date {
  const when = sourceDateEpoch(env);
  return when === undefined || when < DEFAULT_ZIP_TIME ? DEFAULT_ZIP_TIME : when;
}

/**
 * yazl encodes DOS timestamps in the process's local time zone. To make the
 * bytes independent of TZ we hand it a Date whose local fields equal the UTC
 * fields we want.
 */
function localDateWithUtcFields(utc: Date): Date {
  return new Date(
    utc.getUTCFullYear(),
    utc.getUTCMonth(),
    utc.getUTCDate(),
    utc.getUTCHours(),
    utc.getUTCMinutes(),
    utc.getUTCSeconds(),
  );
}

/** Writes `entries` (in the given order) to `outPath` atomically. */
export async function writeZipAtomic(outPath: string, entries: readonly ZipWriteEntry[], opts: ZipWriteOptions = {}): Promise<ZipWriteResult> {
  const dir = path.dirname(path.resolve(outPath));
  const tmp = path.join(dir, `.${path.basename(outPath)}.${randomBytes(6).toString('hex')}.tmp`);
  await mkdir(dir, { recursive: true }).catch((err: unknown) => {
    throw new PackError('zip_write_failed', `cannot create ${dir}: ${(err as Error).message}`, { cause: err });
  });
  try {
    const { size, entrySizes } = await writeZip(tmp, entries, localDateWithUtcFields(opts.mtime ?? DEFAULT_ZIP_TIME));
    const handle = await open(tmp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, outPath);
    return { size, entrySizes };
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

interface YazlEntryState {
  utf8FileName: Buffer;
  isDirectory: boolean;
  compressedSize: number;
  uncompressedSize: number;
}

/** yazl's deflate level when `compress` is true. */
export const ZIP_DEFLATE_LEVEL = 6;

function writeZip(tmpPath: string, entries: readonly ZipWriteEntry[], mtime: Date): Promise<ZipWriteResult> {
  return new Promise<ZipWriteResult>((resolve, reject) => {
    const zip = new yazl.ZipFile();
    const out = createWriteStream(tmpPath, { flags: 'wx', mode: 0o644 });
    // fs.WriteStream keeps its descriptor in an untyped `fd` field
    const flush = new FlushBehind(out as unknown as GrowingFile);
    out.once('close', () => flush.stop());
    let settled = false;
    let written = 0;
    const inputs = new Set<Readable>();
    const fail = (cause: unknown): void => {
      let err = cause;
      if (settled) return;
      settled = true;
      err = wrapInputError('the archive', err);
      for (const input of inputs) input.destroy();
      zip.outputStream.unpipe(out);
      out.destroy();
      // wait for the descriptor to close so the caller can remove the file
      if (out.closed) reject(err);
      else out.once('close', () => reject(err));
    };
    zip.on('error', fail);
    out.on('error', fail);
    zip.outputStream.on('error', fail);
    out.on('finish', () => {
      written = out.bytesWritten;
    });
    out.on('close', () => {
      if (settled) return;
      settled = true;
      const entrySizes = new Map<string, { compressed: number; uncompressed: number }>();
      // yazl keeps the final sizes on its (untyped) entry records
      for (const e of (zip as unknown as { entries: YazlEntryState[] }).entries) {
        if (!e.isDirectory) entrySizes.set(e.utf8FileName.toString('utf8'), { compressed: e.compressedSize, uncompressed: e.uncompressedSize });
      }
      resolve({ size: written, entrySizes });
    });
    zip.outputStream.pipe(out);
    // Entries are added one at a time, each once the previous input has been
    // read: one input is open at a time, and a sampled entry's store/deflate
    // choice is known before yazl writes its local header.
    const addAll = async (): Promise<void> => {
      for (const entry of entries) {
        if (settled) return;
        if (entry.kind === 'directory') {
          zip.addEmptyDirectory(entry.name, { mtime, mode: DIRECTORY_MODE, forceDosTimestamp: true });
          continue;
        }
        let stream: Readable;
        let compress = entry.compress;
        try {
          const opened = await entry.open();
          stream = opened;
          if (compress && entry.sample) {
            inputs.add(opened);
            const head = await readHead(opened, Math.min(entry.sample.bytes, entry.size));
            inputs.delete(opened);
            compress = entry.sample.deflate(head);
            stream = prepend(head, opened);
          }
        } catch (err) {
          fail(wrapInputError(entry.name, err));
          return;
        }
        if (settled) {
          stream.destroy();
          return;
        }
        inputs.add(stream);
        const consumed = new Promise<void>((resolveConsumed) => {
          stream.once('end', () => resolveConsumed());
          stream.once('close', () => {
            inputs.delete(stream);
            resolveConsumed();
          });
        });
        stream.once('error', (err) => fail(wrapInputError(entry.name, err)));
        zip.addReadStream(stream, entry.name, {
          mtime,
          mode: FILE_MODE,
          forceDosTimestamp: true,
          compress,
          size: entry.size,
          // zip64 from the start when the size needs it, so the local header agrees
          forceZip64Format: entry.size > 0xfffffffe,
        });
        await consumed;
      }
      if (!settled) zip.end();
    };
    addAll().catch(fail);
  });
}

/** Reads up to `bytes` from the start of `stream` (fewer only at its end), leaving the rest unread. */
function readHead(stream: Readable, bytes: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let have = 0;
    const done = (): void => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
      const all = Buffer.concat(chunks);
      if (all.length > bytes && !stream.readableEnded) stream.unshift(all.subarray(bytes));
      resolve(all.subarray(0, bytes));
    };
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while (have < bytes && (chunk = stream.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        have += chunk.length;
      }
      if (have >= bytes) done();
    };
    const onEnd = (): void => done();
    const onError = (err: Error): void => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      reject(err);
    };
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('error', onError);
    if (bytes === 0) done();
  });
}

/** `head` followed by the unread rest of `rest`, as one stream. */
function prepend(head: Buffer, rest: Readable): Readable {
  const out = new PassThrough();
  if (head.length > 0) out.write(head);
  rest.once('error', (err) => out.destroy(err));
  out.once('close', () => {
    if (!rest.readableEnded) rest.destroy();
  });
  rest.pipe(out);
  return out;
}

function wrapInputError(name: string, err: unknown): unknown {
  if (err instanceof EpackError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new PackError('zip_write_failed', `could not write ${name}: ${message}`, { cause: err });
}
