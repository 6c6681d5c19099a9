/**
 * Reads small blobs ahead of a consumer that asks for them one at a time in
 * a known order: the ZIP writer of `pull` writes entries sequentially, so
 * without this a pull of many small artifacts waits one registry round trip
 * per artifact (docs/performance.md, W2). Each fetched stream still checks
 * its digest; a prefetched blob is read to its end (so checked) before its
 * bytes are handed out. Memory stays bounded: at most `window` blobs of at
 * most `maxBlobBytes` each are held.
 */
import { Readable } from 'node:stream';

export interface PrefetchItem {
  key: string;
  size: number;
}

export interface PrefetchOptions {
  /** Blobs larger than this are streamed when asked for, never held (default 1 MiB). */
  maxBlobBytes?: number;
  /** How many blobs after the one being read may be fetched ahead (default 8). */
  window?: number;
  signal?: AbortSignal;
}

export class Prefetcher<T extends PrefetchItem> {
  private readonly position = new Map<string, number>();
  private readonly ahead = new Map<string, Promise<Buffer>>();
  private readonly abort = new AbortController();
  private readonly signal: AbortSignal;
  private readonly maxBlobBytes: number;
  private readonly window: number;
  private nextToStart = 0;

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
  }

  /** The content of `item`: prefetched bytes when they are ready or in flight, else a direct fetch. */
  async open(item: T): Promise<Readable> {
    const i = this.position.get(item.key);
    if (i !== undefined) this.startAfter(i);
    const pending = this.ahead.get(item.key);
    if (pending) {
      this.ahead.delete(item.key);
      return Readable.from([await pending]);
    }
    return this.fetch(item, this.signal);
  }

  /** Stops fetches in flight and drops what was fetched. */
  close(): void {
    this.abort.abort();
    this.ahead.clear();
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
  }
}

async function readToEnd(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
