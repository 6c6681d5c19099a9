/**
 * Reads blobs ahead of a consumer that asks for them one at a time in a
 * known order: the ZIP writer of `pull` writes entries sequentially, so
 * without this a pull waits one registry round trip per small artifact and
 * downloads large ones one after another (docs/performance.md, W1 and W2).
 *
 * - Small blobs (≤ `maxBlobBytes`) are fetched into memory, up to `window`
 *   items ahead of the one being read.
 * - With a `stagingDir`, large blobs are downloaded ahead into files there,
 *   up to `stagedBlobs` at a time, and handed out as file streams once
 *   complete; without one they are streamed when asked for.
 *
 * Every fetched stream checks its own digest, and a prefetched blob is read
 * to its end (so checked) before its bytes are handed out. Memory stays
 * bounded (`window` × `maxBlobBytes`); staged files are removed when read or
 * on {@link Prefetcher.close}.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface PrefetchItem {
  key: string;
  size: number;
}

export interface PrefetchOptions {
  /** Blobs up to this size are held in memory when fetched ahead (default 1 MiB). */
  maxBlobBytes?: number;
  /** How many items after the one being read small blobs are fetched for (default 8). */
  window?: number;
  /** A private folder for larger blobs fetched ahead; without it they are streamed when asked for. */
  stagingDir?: string;
  /** How many larger blobs may be staged (downloading or waiting to be read) at once (default 3). */
  stagedBlobs?: number;
  signal?: AbortSignal;
}

/** Read buffer of staged files: the ZIP writer takes large pieces well. */
const STAGED_READ_CHUNK = 512 * 1024;

export class Prefetcher<T extends PrefetchItem> {
  private readonly position = new Map<string, number>();
  private readonly ahead = new Map<string, Promise<Buffer>>();
  private readonly staged = new Map<string, Promise<string>>();
  private readonly stagedFiles = new Set<string>();
  private readonly abort = new AbortController();
  private readonly signal: AbortSignal;
  private readonly maxBlobBytes: number;
  private readonly window: number;
  private readonly stagingDir: string | undefined;
  private readonly stagedBlobs: number;
  private nextToStart = 0;
  private nextToStage = 0;
  private closed = false;

  constructor(
    /** The items in the order they will be asked for. */
    private readonly order: readonly T[],
    private readonly fetch: (item: T, signal: AbortSignal) => Promise<Readable>,
    options: PrefetchOptions = {},
  ) {
    order.forEach((item, i) => this.position.set(item.key, i));
    this.signal = options.signal ? AbortSignal.any([options.signal, this.abort.signal]) : this.abort.signal;
    this.maxBlobBytes = options.maxBlobBytes ?? 1024 * 1024;
    this.window = options.window ?? 8;
    this.stagingDir = options.stagingDir;
    this.stagedBlobs = options.stagingDir ? Math.max(1, options.stagedBlobs ?? 3) : 0;
  }

  /** The content of `item`: prefetched bytes or a staged file when ready or in flight, else a direct fetch. */
  async open(item: T): Promise<Readable> {
    const i = this.position.get(item.key);
    if (i !== undefined) this.startAfter(i);
    const pending = this.ahead.get(item.key);
    if (pending) {
      this.ahead.delete(item.key);
      return Readable.from([await pending]);
    }
    const staged = this.staged.get(item.key);
    if (staged) return this.openStaged(item.key, await staged);
    return this.fetch(item, this.signal);
  }

  /** Stops fetches in flight, drops what was fetched and removes staged files. */
  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    this.ahead.clear();
    await Promise.allSettled(this.staged.values());
    this.staged.clear();
    await Promise.all([...this.stagedFiles].map((file) => rm(file, { force: true })));
    this.stagedFiles.clear();
  }

  private startAfter(i: number): void {
    this.nextToStart = Math.max(this.nextToStart, i + 1);
    while (this.nextToStart < this.order.length && this.nextToStart <= i + this.window) {
      const item = this.order[this.nextToStart++]!;
      if (item.size > this.maxBlobBytes || this.ahead.has(item.key)) continue;
      const bytes = this.fetch(item, this.signal).then(readToEnd);
      // Failures surface when the item is asked for; until then nobody awaits the promise.
      bytes.catch(() => undefined);
      this.ahead.set(item.key, bytes);
    }
    this.stageFrom(i);
  }

  /** Keeps up to `stagedBlobs` large blobs after item `i` downloading into files. */
  private stageFrom(i: number): void {
    const dir = this.stagingDir;
    if (!dir || this.closed) return;
    this.nextToStage = Math.max(this.nextToStage, i + 1);
    while (this.staged.size < this.stagedBlobs && this.nextToStage < this.order.length) {
      const item = this.order[this.nextToStage++]!;
      if (item.size <= this.maxBlobBytes) continue;
      const file = path.join(dir, `blob-${this.nextToStage}.staged`);
      this.stagedFiles.add(file);
      const done = this.fetch(item, this.signal)
        .then((stream) => pipeline(stream, createWriteStream(file, { flags: 'wx', mode: 0o600 })))
        .then(() => file);
      done.catch(() => undefined);
      this.staged.set(item.key, done);
    }
  }

  /** A staged file as a stream; the file is removed once read (or abandoned), which frees a staging slot. */
  private openStaged(key: string, file: string): Readable {
    const stream = createReadStream(file, { highWaterMark: STAGED_READ_CHUNK });
    stream.once('close', () => {
      this.staged.delete(key);
      this.stagedFiles.delete(file);
      rm(file, { force: true }).catch(() => undefined);
      const i = this.position.get(key);
      if (i !== undefined) this.stageFrom(i);
    });
    return stream;
  }
}

async function readToEnd(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
