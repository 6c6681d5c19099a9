/**
 * One repository of a registry, behind the store interfaces
 * (src/store/types.ts): blobs, manifests, tags, referrers, delete, mount.
 */
import { Readable } from 'node:stream';
import { isDigest, parseDigest, verifyBytes } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor } from '../oci/descriptor.js';
import { isValidTag, parseRegistryReference } from '../oci/reference.js';
import { EpackError, RegistryError, UsageError } from '../error.js';
import { registerVerifyingFetch } from '../store/types.js';
import type { BlobResolver, FetchOptions, GraphTarget, PushOptions, Deleter, Mounter, ReferencePusher, TagLister } from '../store/types.js';
import { repositoryScope } from './auth/scope.js';
import { downloadBlob } from './blob-download.js';
import { sourceFromContent, sourceFromOpener, startUpload, uploadBlob, type BlobSource, type UploadContext } from './blob-upload.js';
import type { RegistryClient } from './client.js';
import { errorForResponse } from './errors.js';
import { sleep } from './retry.js';
import { readBytes, readText } from './http.js';
import { nextLink, PageGuard } from './link.js';
import { getManifest, headManifest, isManifestMediaType, putManifest, type FetchedManifest, type ManifestContext } from './manifests.js';
import { referrerDescriptor, Referrers, subjectOf } from './referrers.js';

type Signal = { signal?: AbortSignal | undefined };

export interface TagsOptions {
  last?: string;
  signal?: AbortSignal;
  /** Page size (`n`); the registry's default when omitted. */
  pageSize?: number;
}

export class Repository implements GraphTarget, TagLister, Deleter, Mounter, ReferencePusher, BlobResolver {
  /** `localhost:5000/acme/evidence` */
  readonly name: string;
  private readonly referrersSupport: Referrers;
  private readonly pullScopes: string[];
  private readonly pushScopes: string[];

  constructor(
    readonly client: RegistryClient,
    readonly repository: string,
  ) {
    parseRegistryReference(`${client.registry}/${repository}`);
    this.name = `${client.registry}/${repository}`;
    this.pullScopes = [repositoryScope(repository, 'pull')];
    this.pushScopes = [repositoryScope(repository, 'pull', 'push')];
    this.referrersSupport = new Referrers({
      transport: client.transport,
      manifests: this.manifestContext(this.pushScopes),
      referrersUrl: (digest) => this.url(`referrers/${digest}`),
      deleteManifest: (digest) => this.deleteManifest(digest),
      mode: client.settings.referrersMode,
      gc: client.settings.referrersGc,
      name: this.name,
      warn: (text) => client.transport.warn(text),
    });
  }

  private url(path: string): URL {
    return new URL(`/v2/${this.repository}/${path}`, this.client.origin);
  }

  private manifestContext(scopes: readonly string[], signal?: AbortSignal): ManifestContext {
    return {
      transport: this.client.transport,
      manifestsUrl: (ref) => this.url(`manifests/${ref}`),
      scopes,
      maxBytes: this.client.settings.maxManifestBytes,
      name: this.name,
      signal,
    };
  }

  // ---- Fetcher / ReadOnlyStorage ----

  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<Readable> {
    if (isManifestMediaType(desc.mediaType)) {
      const { bytes } = await this.fetchManifest(desc.digest, options);
      verifyBytes(desc, bytes, `manifest ${this.name}@${desc.digest}`);
      options.onProgress?.(bytes.byteLength);
      return Readable.from([Buffer.from(bytes)]);
    }
    return downloadBlob(desc, {
      transport: this.client.transport,
      url: this.url(`blobs/${desc.digest}`),
      scopes: this.pullScopes,
      what: `GET blob ${this.name}@${desc.digest}`,
      signal: options.signal,
      onProgress: options.onProgress,
    });
  }

  async exists(desc: Descriptor, options: Signal = {}): Promise<boolean> {
    if (isManifestMediaType(desc.mediaType)) {
      try {
        await headManifest(desc.digest, this.manifestContext(this.pullScopes, options.signal));
        return true;
      } catch (err) {
        if (err instanceof EpackError && err.kind === 'not_found') return false;
        throw err;
      }
    }
    return this.blobExists(desc.digest, options.signal);
  }

  private async blobExists(digest: string, signal?: AbortSignal, scopes = this.pullScopes): Promise<boolean> {
    const what = `HEAD blob ${this.name}@${digest}`;
    const res = await this.client.transport.send({ method: 'HEAD', url: this.url(`blobs/${digest}`), scopes, signal, what });
    await res.body.dump();
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw errorForResponse(res.status, '', { what, notFoundCode: 'blob_unknown', registry: this.client.registry });
  }

  /** A blob's descriptor from `HEAD` (its size from Content-Length); `blob_unknown` when absent. */
  async resolveBlob(digest: string, options: Signal = {}): Promise<Descriptor> {
    parseDigest(digest);
    const what = `HEAD blob ${this.name}@${digest}`;
    const res = await this.client.transport.send({ method: 'HEAD', url: this.url(`blobs/${digest}`), scopes: this.pullScopes, signal: options.signal, what });
    await res.body.dump();
    if (res.status !== 200) throw errorForResponse(res.status, '', { what, notFoundCode: 'blob_unknown', registry: this.client.registry });
    const size = Number(res.headers['content-length']);
    if (!res.headers['content-length'] || !Number.isSafeInteger(size) || size < 0) throw new RegistryError('invalid_response', `${what}: no usable Content-Length`);
    const claimed = res.headers['docker-content-digest']?.trim();
    if (claimed && isDigest(claimed) && claimed.split(':')[0] === digest.split(':')[0] && claimed !== digest) {
      throw new RegistryError('invalid_response', `${what}: the registry answered for ${claimed}`);
    }
    return { mediaType: MediaType.octetStream, digest, size };
  }

  /** The manifest's exact bytes and descriptor, by tag or digest. */
  async fetchManifest(reference: string, options: Signal = {}): Promise<FetchedManifest> {
    const ref = this.targetOf(reference);
    const fetched = await getManifest(ref, this.manifestContext(this.pullScopes, options.signal));
    return fetched as FetchedManifest;
  }

  // ---- Pusher ----

  async push(desc: Descriptor, content: Readable | Uint8Array, options: PushOptions = {}): Promise<void> {
    if (isManifestMediaType(desc.mediaType)) {
      const bytes = content instanceof Uint8Array ? content : await readManifestStream(content, this.client.settings.maxManifestBytes, this.name);
      await this.pushManifest(desc, bytes, desc.digest, options);
      return;
    }
    try {
      await this.pushBlob(desc, sourceFromContent(content), options);
    } finally {
      // A stream we did not need (the blob existed) or could not finish must not keep its file open.
      if (content instanceof Readable && !content.readableEnded && !content.destroyed) content.destroy();
    }
  }

  /** Pushes a blob whose content can be opened again (retries restart from the start). */
  async pushBlobFrom(desc: Descriptor, open: () => Promise<Readable>, options: PushOptions = {}): Promise<void> {
    await this.pushBlob(desc, sourceFromOpener(open), options);
  }

  private async pushBlob(desc: Descriptor, source: BlobSource, options: PushOptions): Promise<void> {
    if (!options.knownMissing && (await this.blobExists(desc.digest, options.signal, this.pushScopes))) {
      options.onProgress?.(desc.size);
      return;
    }
    await uploadBlob(desc, source, this.uploadContext(desc, this.pushScopes, options));
  }

  private uploadContext(desc: Descriptor, scopes: readonly string[], options: PushOptions): UploadContext {
    return {
      transport: this.client.transport,
      settings: this.client.settings,
      uploadsUrl: this.url('blobs/uploads/'),
      scopes,
      what: `upload blob ${this.name}@${desc.digest}`,
      signal: options.signal,
      onProgress: options.onProgress,
      contentVerified: options.contentVerified,
    };
  }

  /** PUTs a manifest under `reference` (its digest or a tag) and records it as a referrer when needed. */
  async pushManifest(desc: Descriptor, bytes: Uint8Array, reference: string = desc.digest, options: PushOptions = {}): Promise<void> {
    verifyBytes(desc, bytes, `manifest ${this.name}@${desc.digest}`);
    if (!isDigest(reference) && !isValidTag(reference)) throw new UsageError('invalid_reference', `"${reference}" is not a valid tag`);
    const ctx = this.manifestContext(this.pushScopes, options.signal);
    const put = await this.putManifestSettling(reference, desc, bytes, ctx);
    if (put.status === 412) throw new RegistryError('invalid_response', `PUT manifest ${this.name}: unexpected 412`);
    options.onProgress?.(bytes.byteLength);
    const subject = subjectOf(bytes);
    if (!subject) return;
    const referrer = referrerDescriptor(desc, bytes);
    if (await this.referrersSupport.hasApi(subject.digest, options.signal)) {
      const repush = async () => void (await putManifest(reference, desc, bytes, ctx));
      await this.referrersSupport.confirmListed(subject, referrer, repush, options.signal);
    } else {
      await this.referrersSupport.addToIndex(subject.digest, referrer, options.signal);
    }
  }

  /**
   * docker-registry 2.8 rewrites a repository's blob link file in place (truncate, then write) when a
   * second writer commits the same blob, so a manifest PUT that checks its blobs at that moment reads an
   * empty link and answers 400 MANIFEST_BLOB_UNKNOWN. The blobs were stored before the manifest is
   * pushed, so that answer is retried a few times before it is believed.
   */
  private async putManifestSettling(reference: string, desc: Descriptor, bytes: Uint8Array, ctx: ManifestContext): ReturnType<typeof putManifest> {
    const delays = [100, 300, 900];
    for (let attempt = 0; ; attempt++) {
      try {
        return await putManifest(reference, desc, bytes, ctx);
      } catch (err) {
        const delay = delays[attempt];
        if (delay === undefined || !reportsUnknownBlob(err)) throw err;
        this.client.transport.debug(`  ${this.name}: the registry reports a blob of ${desc.digest} unknown; retrying in ${delay} ms`);
        await sleep(delay, ctx.signal);
      }
    }
  }

  async pushReference(desc: Descriptor, content: Uint8Array, tag: string, options: PushOptions = {}): Promise<void> {
    await this.pushManifest(desc, content, tag, options);
  }

  // ---- Resolver / Tagger ----

  /** Resolves a tag, a digest, or a full reference to this repository. */
  async resolve(reference: string, options: Signal = {}): Promise<Descriptor> {
    const ref = this.targetOf(reference);
    const ctx = this.manifestContext(this.pullScopes, options.signal);
    const head = await headManifest(ref, ctx);
    if (head) return head;
    const fetched = await getManifest(ref, ctx);
    return (fetched as FetchedManifest).descriptor;
  }

  async tag(desc: Descriptor, tag: string, options: Signal = {}): Promise<void> {
    if (!isValidTag(tag)) throw new UsageError('invalid_reference', `"${tag}" is not a valid tag`);
    const { bytes, descriptor } = await this.fetchManifest(desc.digest, options);
    await putManifest(tag, { ...descriptor, mediaType: desc.mediaType || descriptor.mediaType }, bytes, this.manifestContext(this.pushScopes, options.signal));
  }

  private targetOf(reference: string): string {
    if (isDigest(reference) || isValidTag(reference)) return reference;
    const parsed = parseRegistryReference(reference);
    if (parsed.registry !== this.client.registry || parsed.repository !== this.repository) {
      throw new UsageError('invalid_reference', `${reference} is not in ${this.name}`);
    }
    const target = parsed.digest ?? parsed.tag;
    if (!target) throw new UsageError('invalid_reference', `${reference} names no tag or digest`, { hint: 'add :<tag> or @sha256:<hex>' });
    return target;
  }

  // ---- ReferrerLister ----

  referrers(desc: Descriptor, artifactType?: string, options: Signal = {}): AsyncIterable<Descriptor> {
    return this.referrersSupport.list(desc, artifactType, options.signal);
  }

  /** Whether the registry serves the referrers API here (detected once, or forced by the mode option). */
  hasReferrersApi(subjectDigest: string, options: Signal = {}): Promise<boolean> {
    return this.referrersSupport.hasApi(subjectDigest, options.signal);
  }

  // ---- TagLister ----

  async *tags(options: TagsOptions = {}): AsyncGenerator<string> {
    let url: URL | undefined = this.url('tags/list');
    if (options.pageSize !== undefined) url.searchParams.set('n', String(options.pageSize));
    if (options.last !== undefined) url.searchParams.set('last', options.last);
    const guard = new PageGuard(`GET tags ${this.name}`, 10_000);
    while (url) {
      guard.visit(url);
      const what = `GET tags ${this.name}`;
      const res = await this.client.transport.send({ method: 'GET', url, headers: { accept: 'application/json' }, scopes: this.pullScopes, signal: options.signal, what });
      if (res.status !== 200) {
        const text = await readText(res.body, 64 * 1024);
        throw errorForResponse(res.status, text, { what, notFoundCode: 'name_unknown', registry: this.client.registry });
      }
      const bytes = await readBytes(res.body, 64 * 1024 * 1024);
      let tags: unknown;
      try {
        tags = (JSON.parse(Buffer.from(bytes ?? new Uint8Array()).toString('utf8')) as { tags?: unknown }).tags;
      } catch {
        throw new RegistryError('invalid_response', `${what}: the tag list is not JSON`);
      }
      if (tags !== null && tags !== undefined && !Array.isArray(tags)) throw new RegistryError('invalid_response', `${what}: "tags" is not a list`);
      for (const t of (tags ?? []) as unknown[]) if (typeof t === 'string') yield t;
      url = nextLink(res.headers['link'], res.url, what);
    }
  }

  // ---- Deleter ----

  async delete(desc: Descriptor, options: Signal = {}): Promise<void> {
    if (isManifestMediaType(desc.mediaType)) await this.deleteManifest(desc.digest, options.signal);
    else await this.deleteBlob(desc.digest, options.signal);
  }

  private async deleteManifest(digest: string, signal?: AbortSignal): Promise<void> {
    await this.sendDelete(`manifests/${digest}`, 'manifest', 'manifest_unknown', signal);
  }

  private async deleteBlob(digest: string, signal?: AbortSignal): Promise<void> {
    await this.sendDelete(`blobs/${digest}`, 'blob', 'blob_unknown', signal);
  }

  private async sendDelete(path: string, kind: string, notFoundCode: string, signal?: AbortSignal): Promise<void> {
    const what = `DELETE ${kind} ${this.name}@${path.split('/')[1] ?? ''}`;
    const res = await this.client.transport.send({ method: 'DELETE', url: this.url(path), scopes: [repositoryScope(this.repository, 'delete')], signal, what });
    const text = await readText(res.body, 64 * 1024);
    if (res.status === 202 || res.status === 200 || res.status === 204) return;
    const err = errorForResponse(res.status, text, { what, notFoundCode, registry: this.client.registry });
    if (err.code === 'unsupported' || res.status === 405) {
      throw new RegistryError('unsupported', `${what}: ${this.client.registry} does not allow deleting ${kind}s`, {
        hint: 'some registries (GHCR, Docker Hub, distribution without storage.delete.enabled) refuse deletes through the API',
        details: err.details,
      });
    }
    throw err;
  }

  // ---- Mounter ----

  async mount(desc: Descriptor, fromRepo: string, getContent: () => Promise<Readable>, options: PushOptions = {}): Promise<void> {
    const scopes = [...this.pushScopes, repositoryScope(fromRepo, 'pull')];
    if (await this.blobExists(desc.digest, options.signal, this.pushScopes)) {
      options.onProgress?.(desc.size);
      return;
    }
    const ctx = this.uploadContext(desc, scopes, options);
    let session: Awaited<ReturnType<typeof startUpload>> | undefined;
    try {
      session = await startUpload(desc, ctx, undefined, { from: fromRepo });
    } catch (err) {
      if (!(err instanceof EpackError) || err.kind === 'network') throw err;
      this.client.transport.debug(`  mount of ${desc.digest} from ${fromRepo} refused (${err.code}); uploading`);
    }
    if (session === 'done') {
      options.onProgress?.(desc.size);
      return;
    }
    await uploadBlob(desc, sourceFromOpener(getContent), ctx, session);
  }
}

async function readManifestStream(stream: Readable, limit: number, name: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.byteLength;
    if (total > limit) {
      stream.destroy();
      throw new RegistryError('manifest_too_large', `manifest for ${name} is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

function reportsUnknownBlob(err: unknown): boolean {
  if (!(err instanceof EpackError)) return false;
  const entries = err.details?.['registryErrors'];
  return Array.isArray(entries) && entries.some((e: { code?: unknown }) => typeof e.code === 'string' && e.code.toUpperCase() === 'MANIFEST_BLOB_UNKNOWN');
}

registerVerifyingFetch(Repository.prototype.fetch);
