/**
 * Referrers (distribution spec v1.1): the API (`GET /v2/<name>/referrers/<digest>`,
 * paginated by `Link`, filtered by `artifactType`) and the tag schema fallback
 * (an index at tag `<alg>-<hex>`), with detection and a forced mode.
 *
 * Fallback updates are read-modify-write. Writers in one process take a lock
 * per subject; across processes the update is conditional (`If-Match`) when
 * the registry offers an ETag, and every writer re-reads after writing and
 * merges again until its entry is present.
 */
import { digestOf, parseDigest } from '../oci/digest.js';
import type { Descriptor, ImageIndex } from '../oci/descriptor.js';
import { MediaType } from '../oci/media-types.js';
import { EpackError, RegistryError } from '../error.js';
import { errorForResponse, parseErrorBody } from './errors.js';
import { readBytes, readText, type Transport } from './http.js';
import { getManifest, headManifest, putManifest, type FetchedManifest, type ManifestContext } from './manifests.js';
import { nextLink, PageGuard } from './link.js';

const MAX_REFERRER_PAGES = 256;
/** How long concurrent referrer writes get to land before a push is confirmed in the API's list. */
const API_SETTLE_MS = 150;
/** What the fallback tag may hold: an index, or (GitLab) the subject itself, which is then ignored. */
const FALLBACK_ACCEPT = [MediaType.imageIndex, MediaType.imageManifest, MediaType.dockerManifest, MediaType.dockerManifestList].join(', ');
import type { ReferrersMode } from './options.js';
import { sleep } from './retry.js';

export interface ReferrersContext {
  transport: Transport;
  manifests: ManifestContext;
  /** `/v2/<name>/referrers/<digest>` */
  referrersUrl: (digest: string) => URL;
  deleteManifest: (digest: string) => Promise<void>;
  mode: ReferrersMode;
  gc: boolean;
  /** Lock key prefix: `<registry>/<repository>`. */
  name: string;
  /** Things the user should know that are not errors. */
  warn: (text: string) => void;
}

/** `sha256-<hex>` (truncated to 128 characters, the tag limit). */
export function fallbackTag(subjectDigest: string): string {
  const { algorithm, hex } = parseDigest(subjectDigest);
  return `${algorithm}-${hex}`.slice(0, 128);
}

/** The descriptor a referrers index lists for a manifest. */
export function referrerDescriptor(desc: Descriptor, manifestBytes: Uint8Array): Descriptor {
  const manifest = JSON.parse(Buffer.from(manifestBytes).toString('utf8')) as {
    artifactType?: unknown;
    config?: { mediaType?: unknown };
    annotations?: Record<string, string>;
  };
  const out: Descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  const artifactType = typeof manifest.artifactType === 'string' ? manifest.artifactType : typeof manifest.config?.mediaType === 'string' ? manifest.config.mediaType : undefined;
  if (artifactType) out.artifactType = artifactType;
  if (manifest.annotations && typeof manifest.annotations === 'object') out.annotations = manifest.annotations;
  return out;
}

/** The `subject` of manifest bytes, if any. */
export function subjectOf(manifestBytes: Uint8Array): Descriptor | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(manifestBytes).toString('utf8')) as { subject?: Descriptor };
    const s = parsed.subject;
    return s && typeof s.digest === 'string' && typeof s.mediaType === 'string' && typeof s.size === 'number' ? s : undefined;
  } catch {
    return undefined;
  }
}

type Probe = { supported: false } | { supported: true; manifests: Descriptor[]; next: URL | undefined; filtered: boolean };

const locks = new Map<string, Promise<void>>();

async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  let release!: () => void;
  const current = new Promise<void>((resolve) => (release = resolve));
  const chained = previous.then(() => current);
  locks.set(key, chained);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (locks.get(key) === chained) locks.delete(key);
  }
}

export class Referrers {
  /** Whether the registry serves the referrers API for this repository (undefined until known). */
  private apiSupported: boolean | undefined;

  constructor(private readonly ctx: ReferrersContext) {
    if (ctx.mode === 'api') this.apiSupported = true;
    if (ctx.mode === 'tag') this.apiSupported = false;
  }

  /** The detected (or forced) capability; probes once with `subject`. */
  async hasApi(subjectDigest: string, signal?: AbortSignal): Promise<boolean> {
    if (this.apiSupported !== undefined) return this.apiSupported;
    const probe = await this.apiPage(this.ctx.referrersUrl(subjectDigest), undefined, signal, true);
    return probe.supported;
  }

  async *list(subject: Descriptor, artifactType: string | undefined, signal?: AbortSignal): AsyncGenerator<Descriptor> {
    if (this.apiSupported !== false) {
      const url = this.ctx.referrersUrl(subject.digest);
      if (artifactType) url.searchParams.set('artifactType', artifactType);
      const guard = new PageGuard(`GET referrers ${this.ctx.name}`, MAX_REFERRER_PAGES);
      guard.visit(url);
      let page = await this.apiPage(url, artifactType, signal, this.apiSupported === undefined);
      while (page.supported) {
        for (const d of page.manifests) if (page.filtered || !artifactType || d.artifactType === artifactType) yield d;
        if (!page.next) return;
        guard.visit(page.next);
        page = await this.apiPage(page.next, artifactType, signal, false);
      }
      // Only the first page can say "no API" (apiPage throws for later pages): fall through to the tag schema.
    }
    const current = await this.readIndex(subject.digest, signal);
    for (const d of current.manifests) if (!artifactType || d.artifactType === artifactType) yield d;
  }

  private async apiPage(url: URL, artifactType: string | undefined, signal: AbortSignal | undefined, detecting: boolean): Promise<Probe> {
    const what = `GET referrers ${this.ctx.name}`;
    const res = await this.ctx.transport.send({ method: 'GET', url, headers: { accept: MediaType.imageIndex }, scopes: this.ctx.manifests.scopes, signal, what });
    const contentType = res.headers['content-type']?.split(';')[0]?.trim();
    if (res.status === 200 && contentType === MediaType.imageIndex) {
      const bytes = await readBytes(res.body, this.ctx.manifests.maxBytes * 4);
      if (!bytes) throw new RegistryError('manifest_too_large', `${what}: the referrers list is too large`);
      const index = parseIndex(bytes);
      if (!index) throw new RegistryError('invalid_response', `${what}: the referrers answer is not an image index`);
      this.apiSupported = true;
      const filtered = artifactType !== undefined && /(^|,)\s*artifactType\s*(,|$)/i.test(res.headers['oci-filters-applied'] ?? '');
      return { supported: true, manifests: index.manifests, next: nextLink(res.headers['link'], res.url, what), filtered };
    }
    const text = await readText(res.body, 64 * 1024);
    if (detecting || this.ctx.mode === 'api') {
      const codes = parseErrorBody(text).map((e) => e.code.toUpperCase());
      const noApi = (res.status === 404 && !codes.includes('NAME_UNKNOWN')) || res.status === 405 || res.status === 501 || res.status === 200;
      if (noApi) {
        if (this.ctx.mode === 'api') throw unsupportedApi(this.ctx.name);
        this.apiSupported = false;
        this.ctx.transport.debug(`  ${this.ctx.name}: no referrers API (HTTP ${res.status}${contentType ? ` ${contentType}` : ''}); using the tag schema`);
        return { supported: false };
      }
    }
    throw errorForResponse(res.status, text, { what, notFoundCode: 'name_unknown', registry: this.ctx.transport.registry });
  }

  /** Reads the fallback index; a missing or invalid one (e.g. GitLab answering with the subject) reads as empty. */
  async readIndex(subjectDigest: string, signal?: AbortSignal): Promise<{ manifests: Descriptor[]; fetched: FetchedManifest | undefined; valid: boolean }> {
    let fetched: FetchedManifest | undefined;
    try {
      fetched = await getManifest(fallbackTag(subjectDigest), { ...this.ctx.manifests, signal }, FALLBACK_ACCEPT, true);
    } catch (err) {
      // Not a manifest at all (or of a type we did not ask for): as invalid as a wrong index.
      if (!(err instanceof RegistryError) || (err.code !== 'invalid_manifest' && err.code !== 'unsupported_media_type')) throw err;
      this.ctx.transport.debug(`  ${this.ctx.name}: tag ${fallbackTag(subjectDigest)} does not hold a manifest (${err.code}); ignoring it`);
      return { manifests: [], fetched: undefined, valid: false };
    }
    if (!fetched) return { manifests: [], fetched: undefined, valid: false };
    const index = fetched.descriptor.mediaType === MediaType.imageIndex && fetched.descriptor.digest !== subjectDigest ? parseIndex(fetched.bytes) : undefined;
    if (!index) {
      this.ctx.transport.debug(`  ${this.ctx.name}: tag ${fallbackTag(subjectDigest)} does not hold a referrers index (${fetched.descriptor.mediaType} ${fetched.descriptor.digest}); ignoring it`);
      return { manifests: [], fetched, valid: false };
    }
    return { manifests: index.manifests, fetched, valid: true };
  }

  /** Adds `referrer` to the fallback index of `subject` without losing a concurrent writer's entry. */
  async addToIndex(subjectDigest: string, referrer: Descriptor, signal?: AbortSignal): Promise<void> {
    await withLock(`${this.ctx.name}@${subjectDigest}`, () => this.addUnlocked(subjectDigest, referrer, signal));
  }

  private async addUnlocked(subjectDigest: string, referrer: Descriptor, signal?: AbortSignal): Promise<void> {
    const tag = fallbackTag(subjectDigest);
    const maxAttempts = 20;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const current = await this.readIndex(subjectDigest, signal);
      if (current.manifests.some((d) => d.digest === referrer.digest)) return;
      const manifests = [...current.manifests, referrer];
      const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.imageIndex, manifests };
      const bytes = new TextEncoder().encode(JSON.stringify(index));
      const desc: Descriptor = { mediaType: MediaType.imageIndex, digest: digestOf(bytes), size: bytes.byteLength };
      const etag = current.valid ? current.fetched?.etag : undefined;
      const windowStart = Date.now();
      // Without a conditional PUT, check right before writing that the tag still holds what we merged into:
      // a stale write can then only land within about one round trip.
      if (!etag && (await this.tagDigest(tag, signal)) !== current.fetched?.descriptor.digest) {
        await sleep(jitter(attempt), signal);
        continue;
      }
      const put = await putManifest(tag, desc, bytes, { ...this.ctx.manifests, signal }, etag);
      if (put.status === 412) {
        await sleep(jitter(attempt), signal);
        continue;
      }
      // Another writer's stale PUT may still land after ours: confirm three times, after waiting several
      // times as long as our own check-and-write took (at least 250 ms, since a writer that read before us
      // may be descheduled between its check and its PUT), and merge again when our entry is gone.
      const settle = Math.max(250, 4 * (Date.now() - windowStart));
      let confirmed: Awaited<ReturnType<Referrers['readIndex']>> | undefined;
      for (let round = 0; round < 3; round++) {
        await sleep(settle + jitter(attempt), signal);
        const check = await this.readIndex(subjectDigest, signal);
        confirmed = check.manifests.some((d) => d.digest === referrer.digest) ? check : undefined;
        if (!confirmed) break;
      }
      if (!confirmed) continue;
      const replaced = current.valid ? current.fetched?.descriptor.digest : undefined;
      if (this.ctx.gc && replaced && replaced !== desc.digest && confirmed.fetched?.descriptor.digest !== replaced) await this.collect(replaced);
      return;
    }
    throw new RegistryError('referrers_update_conflict', `${this.ctx.name}: could not update the referrers tag ${tag} after ${maxAttempts} attempts (concurrent writers)`, {
      hint: 'retry; or use a registry with the referrers API',
    });
  }

  /**
   * After a manifest with a subject was stored on a registry with the referrers API: waits for
   * concurrent writes to settle, then checks that the API lists it and PUTs it again when not.
   * Some registries (olareg 0.2.2) update their referrers list with an unlocked read-modify-write
   * and drop one of two concurrent pushes; a repeated PUT is idempotent and re-indexes it.
   * Returns false (after warning) when it is still not listed.
   */
  async confirmListed(subject: Descriptor, referrer: Descriptor, repush: () => Promise<void>, signal?: AbortSignal): Promise<boolean> {
    const maxAttempts = 5;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      await sleep(API_SETTLE_MS + jitter(attempt), signal);
      for await (const d of this.list(subject, referrer.artifactType, signal)) if (d.digest === referrer.digest) return true;
      if (attempt === maxAttempts) break;
      this.ctx.transport.debug(`  ${this.ctx.name}: the referrers API does not list ${referrer.digest} yet; pushing it again`);
      await repush();
    }
    this.ctx.warn(`${this.ctx.name}: the registry stored ${referrer.digest} but its referrers API does not list it under ${subject.digest}`);
    return false;
  }

  /** The digest the tag points to now (undefined when it does not exist). */
  private async tagDigest(tag: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const head = await headManifest(tag, { ...this.ctx.manifests, signal });
      if (head) return head.digest;
    } catch (err) {
      if (err instanceof EpackError && err.kind === 'not_found') return undefined;
      throw err;
    }
    const fetched = await getManifest(tag, { ...this.ctx.manifests, signal }, FALLBACK_ACCEPT, true);
    return fetched?.descriptor.digest;
  }

  /** Deletes a replaced index; registries that refuse deletes (GHCR, Docker Hub, ECR) are fine. */
  private async collect(digest: string): Promise<void> {
    try {
      await this.ctx.deleteManifest(digest);
    } catch (err) {
      if (!(err instanceof EpackError)) throw err;
      this.ctx.transport.debug(`  could not delete the replaced referrers index ${digest} (${err.code}); leaving it`);
    }
  }
}

function jitter(attempt: number): number {
  return Math.round(20 + Math.random() * 40 * Math.min(attempt, 5));
}

function unsupportedApi(name: string): RegistryError {
  return new RegistryError('unsupported', `${name}: the registry does not serve the referrers API`, {
    hint: 'use the tag schema (referrers mode "tag" or "auto")',
  });
}

function parseIndex(bytes: Uint8Array): ImageIndex | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
  const index = parsed as Partial<ImageIndex> | null;
  if (!index || typeof index !== 'object' || index.schemaVersion !== 2 || !Array.isArray(index.manifests)) return undefined;
  if (index.mediaType !== undefined && index.mediaType !== MediaType.imageIndex) return undefined;
  const manifests = index.manifests.filter((d): d is Descriptor => !!d && typeof d === 'object' && typeof d.digest === 'string' && typeof d.mediaType === 'string' && typeof d.size === 'number');
  return { ...index, schemaVersion: 2, manifests } as ImageIndex;
}
