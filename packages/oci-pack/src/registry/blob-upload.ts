/**
 * Blob uploads (distribution spec "Pushing blobs"): single POST for small
 * in-memory blobs when the registry accepts it, monolithic POST + PUT,
 * chunked PATCH (inclusive `Content-Range`, the newest `Location` each time,
 * chunks of at least `OCI-Chunk-Min-Length`) with resume from the registry's
 * `Range` after a failed chunk, and cross-repository mount (201 = mounted,
 * 202 = an upload session to use).
 */
import { Readable, pipeline } from 'node:stream';
import { DigestVerifier, verifyBytes } from '../oci/digest.js';
import type { Descriptor } from '../oci/descriptor.js';
import { EpackError, NetworkError, PackError, RegistryError } from '../error.js';
import { errorForResponse, invalidResponse } from './errors.js';
import { readText, type BodySource, type RegistryResponse, type Transport } from './http.js';
import type { ResolvedOptions } from './options.js';

/** Where blob content comes from; `open` may be called again when `replayable`. */
export interface BlobSource {
  open(): Promise<Readable | Uint8Array>;
  replayable: boolean;
  /** The content, when it is already in memory. */
  bytes?: Uint8Array;
}

export function sourceFromContent(content: Readable | Uint8Array): BlobSource {
  if (content instanceof Uint8Array) return { open: () => Promise.resolve(content), replayable: true, bytes: content };
  // The stream may fail while the upload still waits for HEAD or POST: keep that
  // error (an 'error' event with no listener would end the process) for open().
  let failure: unknown;
  content.on('error', (err) => {
    failure ??= err;
  });
  let used = false;
  return {
    replayable: false,
    open: () => {
      if (failure !== undefined) return Promise.reject(sourceError(failure, 'blob content'));
      if (used) return Promise.reject(new NetworkError('retry_not_possible', 'the upload failed and its content stream cannot be read again'));
      used = true;
      return Promise.resolve(content);
    },
  };
}

/** A failure of the content being uploaded (not of the registry), as a typed error. */
function sourceError(err: unknown, what: string): EpackError {
  if (err instanceof EpackError) return err;
  return new PackError('read_failed', `${what}: reading the content failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/**
 * The content through a digest verifier. Every failure of the source reaches
 * the consumer (undici, or the chunk reader) as a typed error through the
 * verifier, and a consumer that stops early releases the source.
 */
function verifiedStream(content: Readable, desc: Descriptor, what: string, onProgress?: (bytes: number) => void, alreadyVerified = false): Readable {
  // Iterating the source (rather than piping it) turns its failure into this error, and
  // ending the iteration early (the verifier destroyed by its reader) destroys the source.
  const typed = async function* (): AsyncGenerator<Buffer> {
    let seen = 0;
    try {
      for await (const chunk of content as AsyncIterable<Buffer>) {
        if (alreadyVerified) onProgress?.((seen += chunk.byteLength));
        yield chunk;
      }
    } catch (err) {
      throw sourceError(err, what);
    }
  };
  if (alreadyVerified) return Readable.from(typed(), { objectMode: false });
  const verifier = new DigestVerifier(desc, what, onProgress);
  // Errors travel through the verifier to its reader; the callback only keeps them from being unhandled.
  pipeline(typed(), verifier, () => {});
  return verifier;
}

export function sourceFromOpener(open: () => Promise<Readable>): BlobSource {
  return { open, replayable: true };
}

export interface UploadContext {
  transport: Transport;
  settings: ResolvedOptions;
  /** `/v2/<name>/blobs/uploads/` as a URL. */
  uploadsUrl: URL;
  scopes: readonly string[];
  what: string;
  signal?: AbortSignal | undefined;
  onProgress?: ((bytes: number) => void) | undefined;
  /** The content checks its own digest and size (PushOptions.contentVerified). */
  contentVerified?: boolean | undefined;
}

interface Session {
  location: URL;
  minChunk: number;
}

const MAX_UPLOAD_ATTEMPTS = 3;

/**
 * Uploads a blob that is not in the repository yet. Retries the whole
 * upload (new session) after a failure when the source can be re-opened.
 */
export async function uploadBlob(desc: Descriptor, source: BlobSource, ctx: UploadContext, firstSession?: Session): Promise<void> {
  if (source.bytes && !ctx.contentVerified) verifyBytes(desc, source.bytes, ctx.what);
  let session = firstSession;
  for (let attempt = 1; ; attempt++) {
    try {
      await uploadOnce(desc, source, ctx, session);
      return;
    } catch (err) {
      session = undefined;
      const retryable = source.replayable && attempt < MAX_UPLOAD_ATTEMPTS && isTransient(err) && !ctx.signal?.aborted;
      if (!retryable) throw err;
      ctx.transport.debug(`  upload of ${desc.digest} failed (${(err as EpackError).code}); starting over`);
    }
  }
}

function isTransient(err: unknown): boolean {
  return err instanceof EpackError && (err.kind === 'network' || err.code === 'blob_upload_unknown' || err.code === 'blob_upload_invalid' || err.code === 'range_invalid');
}

async function uploadOnce(desc: Descriptor, source: BlobSource, ctx: UploadContext, existing: Session | undefined): Promise<void> {
  let session = existing;
  if (!session) {
    const singlePost = source.bytes !== undefined && source.bytes.byteLength <= ctx.settings.singlePostMaxBytes;
    let started: Session | 'done';
    try {
      started = await startUpload(desc, ctx, singlePost ? source.bytes : undefined);
    } catch (err) {
      // A registry that rejects the single-request form (400, 405, 415…) still takes a normal upload.
      if (!singlePost || !(err instanceof EpackError) || !(err.kind === 'registry' || err.kind === 'input')) throw err;
      ctx.transport.debug(`  single POST upload refused (${err.code}); using POST + PUT`);
      started = await startUpload(desc, ctx);
    }
    if (started === 'done') return;
    session = started;
  }
  if (desc.size > ctx.settings.monolithicMaxBytes) await uploadChunked(desc, source, ctx, session);
  else await uploadMonolithic(desc, source, ctx, session);
}

/** POST to the uploads endpoint; with `bytes`, a single-request upload (`?digest=`). */
export async function startUpload(desc: Descriptor, ctx: UploadContext, bytes?: Uint8Array, mount?: { from: string }): Promise<Session | 'done'> {
  const url = new URL(ctx.uploadsUrl);
  const headers: Record<string, string> = {};
  if (mount) {
    url.searchParams.set('mount', desc.digest);
    url.searchParams.set('from', mount.from);
  } else if (bytes) {
    url.searchParams.set('digest', desc.digest);
    headers['content-type'] = 'application/octet-stream';
  }
  const res = await ctx.transport.send({
    method: 'POST',
    url,
    headers,
    ...(bytes ? { body: bytes } : {}),
    scopes: ctx.scopes,
    signal: ctx.signal,
    what: mount ? `mount ${desc.digest} from ${mount.from}` : ctx.what,
  });
  if (res.status === 201) {
    await res.body.dump();
    checkCommittedDigest(res, desc, ctx);
    if (bytes) ctx.onProgress?.(bytes.byteLength);
    return 'done';
  }
  if (res.status === 202) {
    await res.body.dump();
    return sessionFrom(res, ctx);
  }
  const text = await readText(res.body, 64 * 1024);
  throw errorForResponse(res.status, text, { what: ctx.what, notFoundCode: 'name_unknown', registry: ctx.transport.registry });
}

function sessionFrom(res: RegistryResponse, ctx: UploadContext): Session {
  const location = res.headers['location'];
  if (!location) throw invalidResponse(`${ctx.what}: the registry started an upload without a Location`);
  const min = Number(res.headers['oci-chunk-min-length'] ?? '0');
  return { location: new URL(location, res.url), minChunk: Number.isSafeInteger(min) && min > 0 ? min : 0 };
}

function checkCommittedDigest(res: RegistryResponse, desc: Descriptor, ctx: UploadContext): void {
  const got = res.headers['docker-content-digest'];
  if (got && got.split(':')[0] === desc.digest.split(':')[0] && got !== desc.digest) {
    throw new RegistryError('digest_mismatch', `${ctx.what}: the registry stored ${got} instead of ${desc.digest}`);
  }
}

function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url;
}

async function uploadMonolithic(desc: Descriptor, source: BlobSource, ctx: UploadContext, session: Session): Promise<void> {
  const body: BodySource = {
    length: desc.size,
    // A 429/5xx answer may be retried on the same session; a broken connection starts the upload over (uploadBlob).
    replayable: source.replayable,
    replayAfterReset: false,
    open: async () => {
      const content = await source.open();
      if (content instanceof Uint8Array) return content;
      return verifiedStream(content, desc, ctx.what, ctx.onProgress, ctx.contentVerified);
    },
  };
  const res = await ctx.transport.send({
    method: 'PUT',
    url: withDigest(session.location, desc.digest),
    headers: { 'content-type': 'application/octet-stream' },
    body,
    scopes: ctx.scopes,
    signal: ctx.signal,
    what: ctx.what,
  });
  await finish(res, desc, ctx);
  if (source.bytes) ctx.onProgress?.(desc.size);
}

async function finish(res: RegistryResponse, desc: Descriptor, ctx: UploadContext): Promise<void> {
  if (res.status === 201 || res.status === 204) {
    await res.body.dump();
    checkCommittedDigest(res, desc, ctx);
    return;
  }
  const text = await readText(res.body, 64 * 1024);
  throw errorForResponse(res.status, text, { what: ctx.what, notFoundCode: 'blob_upload_unknown', registry: ctx.transport.registry });
}

/** Reads fixed-size chunks from a stream, verifying the whole content as it goes. */
class ChunkReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private pending: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(stream: Readable) {
    this.iterator = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  async read(size: number): Promise<Buffer> {
    const parts: Buffer[] = [this.pending];
    let total = this.pending.byteLength;
    while (total < size && !this.done) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        break;
      }
      parts.push(next.value);
      total += next.value.byteLength;
    }
    const all = Buffer.concat(parts, total);
    this.pending = all.subarray(Math.min(size, all.byteLength));
    return all.subarray(0, Math.min(size, all.byteLength));
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}

async function uploadChunked(desc: Descriptor, source: BlobSource, ctx: UploadContext, session: Session): Promise<void> {
  const chunkSize = Math.max(ctx.settings.chunkSize, session.minChunk);
  const content = await source.open();
  const stream = content instanceof Uint8Array ? Readable.from([Buffer.from(content.buffer, content.byteOffset, content.byteLength)]) : content;
  const reader = new ChunkReader(verifiedStream(stream, desc, ctx.what, undefined, ctx.contentVerified));
  let location = session.location;
  let offset = 0;
  try {
    while (offset < desc.size) {
      const chunk = await reader.read(chunkSize);
      if (chunk.byteLength === 0) break;
      location = await patchChunk(chunk, offset, location, ctx);
      offset += chunk.byteLength;
      ctx.onProgress?.(offset);
    }
    // Drains the verifier so a short or wrong stream fails before the commit.
    const rest = await reader.read(1);
    if (rest.byteLength > 0 || offset !== desc.size) {
      throw new RegistryError('size_mismatch', `${ctx.what}: content length differs from the expected ${desc.size} bytes`);
    }
  } finally {
    await reader.close();
  }
  const res = await ctx.transport.send({
    method: 'PUT',
    url: withDigest(location, desc.digest),
    headers: { 'content-type': 'application/octet-stream' },
    body: new Uint8Array(0),
    scopes: ctx.scopes,
    signal: ctx.signal,
    what: ctx.what,
  });
  await finish(res, desc, ctx);
}

const MAX_CHUNK_RESUMES = 3;

/** PATCHes one chunk; after a failure asks the registry how far it got and sends the rest. */
async function patchChunk(chunk: Buffer, offset: number, location: URL, ctx: UploadContext): Promise<URL> {
  let sent = 0;
  let current = location;
  for (let resumes = 0; ; resumes++) {
    const part = chunk.subarray(sent);
    const start = offset + sent;
    try {
      const res = await ctx.transport.send({
        method: 'PATCH',
        url: current,
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${start + part.byteLength - 1}` },
        body: { length: part.byteLength, replayable: false, open: () => Promise.resolve(part) },
        scopes: ctx.scopes,
        signal: ctx.signal,
        what: ctx.what,
      });
      if (res.status === 202 || res.status === 201 || res.status === 204) {
        await res.body.dump();
        const next = res.headers['location'];
        return next ? new URL(next, res.url) : current;
      }
      const text = await readText(res.body, 64 * 1024);
      throw errorForResponse(res.status, text, { what: ctx.what, notFoundCode: 'blob_upload_unknown', registry: ctx.transport.registry });
    } catch (err) {
      if (!(err instanceof EpackError) || err.kind !== 'network' || resumes >= MAX_CHUNK_RESUMES || ctx.signal?.aborted) throw err;
      const status = await uploadStatus(current, ctx);
      current = status.location;
      const have = status.end + 1;
      if (have < offset || have > offset + chunk.byteLength) throw err;
      sent = have - offset;
      ctx.transport.debug(`  resuming chunk upload at byte ${have}`);
      if (sent === chunk.byteLength) return current;
    }
  }
}

/** `GET <location>`: the registry's `Range: 0-<end>` of received bytes (end -1 when none). */
async function uploadStatus(location: URL, ctx: UploadContext): Promise<{ end: number; location: URL }> {
  const res = await ctx.transport.send({ method: 'GET', url: location, scopes: ctx.scopes, signal: ctx.signal, what: `${ctx.what} (upload status)` });
  const text = await readText(res.body, 64 * 1024);
  if (res.status !== 204 && res.status !== 200) {
    throw errorForResponse(res.status, text, { what: `${ctx.what} (upload status)`, notFoundCode: 'blob_upload_unknown', registry: ctx.transport.registry });
  }
  const range = /^(?:bytes=)?(\d+)-(\d+)$/.exec((res.headers['range'] ?? '').trim());
  const end = range ? Number(range[2]) : -1;
  const next = res.headers['location'];
  return { end, location: next ? new URL(next, res.url) : location };
}
