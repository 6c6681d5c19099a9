/**
 * An OCI image layout directory (image-spec image-layout.md), the store
 * epack uses when no registry is involved:
 *
 *   <dir>/oci-layout          {"imageLayoutVersion":"1.0.0"}
 *   <dir>/index.json          an image index; tags are entries annotated
 *                             org.opencontainers.image.ref.name
 *   <dir>/blobs/sha256/<hex>  content, verified while written
 *
 * Like oras-go, every manifest pushed is listed in index.json (untagged
 * when no tag points at it), so referrers can be found and nothing pushed
 * is garbage to gc(). Writes are atomic (temp file + rename); index.json is
 * read-modified-written under a lock file so concurrent writers (several
 * epack processes) never lose each other's entries. Layouts written by
 * other tools (oras, skopeo) are read as they are.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Descriptor, ImageIndex } from '../oci/descriptor.js';
import { Annotation, MediaType } from '../oci/media-types.js';
import { EpackError, NotFoundError, UsageError } from '../error.js';
import { registerVerifyingFetch } from './types.js';
import type { BlobResolver, Deleter, FetchOptions, GraphTarget, PushOptions, TagLister } from './types.js';
import { isIndexType, isManifestType, parseManifest, referrerDescriptor, type ParsedManifest } from './graph.js';
import { withFileLock } from './file-lock.js';
import { digestMismatchError, DigestVerifier, parseDigest, sizeMismatchError } from '../oci/digest.js';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const OCI_LAYOUT_VERSION = '1.0.0';
const INDEX_FILE = 'index.json';
const LOCK_FILE = 'index.json.lock';
const TEMP_PREFIX = '.epack-tmp-';
/** The distribution-spec tag grammar, so a layout's tags can be pushed to any registry. */
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export interface OciLayoutOptions {
  /** Refuse every write (a layout on read-only media, or one we must not change). */
  readOnly?: boolean;
}

export interface GcOptions {
  /** Keep unreferenced blobs modified more recently than this (default 10 min: a copy may be writing them). */
  gracePeriodMs?: number;
  /** Report what would be removed without removing it. */
  dryRun?: boolean;
}

export interface GcResult {
  removed: { digest: string; size: number }[];
  bytes: number;
}

interface IndexDocument extends Omit<ImageIndex, 'schemaVersion'> {
  schemaVersion: number;
  [extra: string]: unknown;
}

export class OciLayoutStore implements GraphTarget, TagLister, Deleter, BlobResolver {
  readonly name: string;
  readonly root: string;
  private readonly readOnly: boolean;
  private readonly parsed = new Map<string, ParsedManifest | null>();
  private layoutChecked = false;

  constructor(dir: string, options: OciLayoutOptions = {}) {
    this.root = path.resolve(dir);
    this.name = `oci:${dir}`;
    this.readOnly = options.readOnly ?? false;
  }

  // ---- reading ---------------------------------------------------------

  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<Readable> {
    const file = this.blobPath(desc.digest);
    const handle = await open(file, 'r').catch((err: unknown) => {
      throw this.fsError(err, desc.digest);
    });
    // A generator: nothing is read, and no verification error can fire, until the consumer reads.
    const where = this.name;
    const { algorithm } = parseDigest(desc.digest);
    async function* verified(): AsyncGenerator<Buffer> {
      const hash = createHash(algorithm);
      let seen = 0;
      try {
        for await (const chunk of handle.createReadStream({ autoClose: false }) as AsyncIterable<Buffer>) {
          seen += chunk.byteLength;
          if (seen > desc.size) throw sizeMismatchError(desc, seen, where);
          hash.update(chunk);
          options.onProgress?.(seen);
          yield chunk;
        }
      } finally {
        await handle.close().catch(() => undefined);
      }
      if (seen !== desc.size) throw sizeMismatchError(desc, seen, where);
      const actual = `${algorithm}:${hash.digest('hex')}`;
      if (actual !== desc.digest) throw digestMismatchError(desc, actual, where);
    }
    return Readable.from(verified(), { objectMode: false });
  }

  /**
   * Whether the blob is stored. A manifest counts only once index.json lists
   * it too, so a writer that died between the two steps is repaired by the
   * next push instead of being skipped (and later garbage-collected).
   */
  async exists(desc: Descriptor): Promise<boolean> {
    if (!(await this.blobStored(desc))) return false;
    if (!isManifestType(desc.mediaType)) return true;
    const index = await this.readIndex().catch(() => undefined);
    return index?.manifests.some((m) => m.digest === desc.digest) ?? false;
  }

  private async blobStored(desc: Descriptor): Promise<boolean> {
    try {
      const info = await stat(this.blobPath(desc.digest));
      return info.isFile() && info.size === desc.size;
    } catch (err) {
      if (isMissing(err)) return false;
      throw this.fsError(err, desc.digest);
    }
  }

  async resolveBlob(digest: string): Promise<Descriptor> {
    try {
      const info = await stat(this.blobPath(digest));
      if (info.isFile()) return { mediaType: MediaType.octetStream, digest, size: info.size };
    } catch (err) {
      if (!isMissing(err)) throw this.fsError(err, digest);
    }
    throw new NotFoundError('blob_unknown', `blob ${digest} is not in ${this.name}`);
  }

  async resolve(reference: string): Promise<Descriptor> {
    const index = await this.readIndex();
    if (reference.includes(':')) {
      parseDigest(reference);
      const entry = index.manifests.find((m) => m.digest === reference);
      if (entry) return plain(entry);
      const bytes = await this.readBlobIfPresent(reference);
      if (!bytes) throw new NotFoundError('manifest_unknown', `manifest ${reference} is not in ${this.name}`);
      const mediaType = sniffManifestType(bytes);
      if (!mediaType) throw new NotFoundError('manifest_unknown', `${reference} in ${this.name} is not a manifest`);
      return { mediaType, digest: reference, size: bytes.byteLength };
    }
    const tagged = index.manifests.filter((m) => m.annotations?.[Annotation.refName] === reference);
    const last = tagged.at(-1);
    if (!last) throw new NotFoundError('tag_not_found', `tag "${reference}" is not in ${this.name}`);
    return plain(last);
  }

  async *tags(options: { last?: string } = {}): AsyncIterable<string> {
    const index = await this.readIndex();
    const names = new Set<string>();
    for (const m of index.manifests) {
      const name = m.annotations?.[Annotation.refName];
      if (name !== undefined) names.add(name);
    }
    for (const tag of [...names].sort()) {
      if (options.last === undefined || tag > options.last) yield tag;
    }
  }

  async *referrers(desc: Descriptor, artifactType?: string): AsyncIterable<Descriptor> {
    const seen = new Set<string>();
    for (const manifest of await this.allManifests()) {
      if (seen.has(manifest.desc.digest)) continue;
      seen.add(manifest.desc.digest);
      if (manifest.parsed.subject?.digest !== desc.digest) continue;
      const referrer = referrerDescriptor(manifest.desc, manifest.parsed);
      if (artifactType === undefined || referrer.artifactType === artifactType) yield referrer;
    }
  }

  // ---- writing ---------------------------------------------------------

  async push(desc: Descriptor, content: Readable | Uint8Array, options: PushOptions = {}): Promise<void> {
    this.assertWritable();
    const { algorithm } = parseDigest(desc.digest);
    await this.ensureLayout();
    const target = this.blobPath(desc.digest);
    if (await this.blobStored(desc)) {
      if (content instanceof Readable) content.destroy();
    } else {
      const dir = path.join(this.root, 'blobs', algorithm);
      await mkdir(dir, { recursive: true }).catch((err: unknown) => {
        throw this.fsError(err, dir);
      });
      const temp = path.join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
      const source = content instanceof Readable ? content : Readable.from([Buffer.from(content)]);
      try {
        await pipeline(source, new DigestVerifier(desc, this.name, options.onProgress), createWriteStream(temp, { flags: 'wx', flush: true }), {
          ...(options.signal ? { signal: options.signal } : {}),
        });
        await rename(temp, target);
      } catch (err) {
        await unlink(temp).catch(() => undefined);
        throw err instanceof EpackError ? err : this.fsError(err, desc.digest);
      }
    }
    if (isManifestType(desc.mediaType)) await this.addUntagged(desc);
  }

  async tag(desc: Descriptor, tag: string): Promise<void> {
    this.assertWritable();
    if (!TAG_PATTERN.test(tag)) {
      throw new UsageError('invalid_tag', `"${tag}" is not a valid tag`);
    }
    if (!(await this.blobStored(desc))) {
      throw new NotFoundError('manifest_unknown', `cannot tag ${desc.digest}: it is not in ${this.name}`);
    }
    await this.updateIndex((manifests) => {
      const displaced = manifests.filter((m) => m.annotations?.[Annotation.refName] === tag && m.digest !== desc.digest);
      let next = manifests.filter((m) => m.annotations?.[Annotation.refName] !== tag);
      // The tagged entry replaces the untagged one for the same digest.
      next = next.filter((m) => !(m.digest === desc.digest && m.annotations?.[Annotation.refName] === undefined));
      next.push({ ...entryFor(desc), annotations: { ...entryFor(desc).annotations, [Annotation.refName]: tag } });
      // A manifest that lost its last tag stays listed, untagged (it may be a referrer's subject).
      for (const old of displaced) {
        if (!next.some((m) => m.digest === old.digest)) next.push(untaggedEntry(old));
      }
      return next;
    });
  }

  /** Removes `desc` (blob or manifest) and every index.json entry pointing at it. */
  async delete(desc: Descriptor): Promise<void> {
    this.assertWritable();
    const file = this.blobPath(desc.digest);
    await this.updateIndex((manifests) => manifests.filter((m) => m.digest !== desc.digest));
    try {
      await unlink(file);
    } catch (err) {
      if (isMissing(err)) throw new NotFoundError('blob_unknown', `${desc.digest} is not in ${this.name}`);
      throw this.fsError(err, desc.digest);
    }
  }

  /** Removes a tag (not the manifest, which stays listed untagged). */
  async untag(tag: string): Promise<void> {
    this.assertWritable();
    let found = false;
    await this.updateIndex((manifests) => {
      const next = manifests.filter((m) => m.annotations?.[Annotation.refName] !== tag);
      found = next.length !== manifests.length;
      for (const old of manifests) {
        if (old.annotations?.[Annotation.refName] === tag && !next.some((m) => m.digest === old.digest)) next.push(untaggedEntry(old));
      }
      return next;
    });
    if (!found) throw new NotFoundError('tag_not_found', `tag "${tag}" is not in ${this.name}`);
  }

  /**
   * Removes blobs no index.json entry reaches (through manifests, indexes,
   * configs, layers and subjects), and temp files left by crashed writers.
   */
  async gc(options: GcOptions = {}): Promise<GcResult> {
    this.assertWritable();
    const grace = options.gracePeriodMs ?? 10 * 60_000;
    return withFileLock(path.join(this.root, LOCK_FILE), async () => {
      const index = await this.readIndex();
      const reachable = new Set<string>();
      const pending = [...index.manifests];
      while (pending.length > 0) {
        const desc = pending.pop()!;
        if (reachable.has(desc.digest)) continue;
        reachable.add(desc.digest);
        if (!isManifestType(desc.mediaType)) continue;
        const parsed = await this.parsedManifest(desc.digest);
        if (!parsed) continue;
        if (parsed.subject) pending.push(parsed.subject);
        if (parsed.config) pending.push(parsed.config);
        pending.push(...parsed.layers, ...parsed.manifests);
      }
      const result: GcResult = { removed: [], bytes: 0 };
      const blobsDir = path.join(this.root, 'blobs');
      for (const algorithm of await readdir(blobsDir).catch(() => [] as string[])) {
        const dir = path.join(blobsDir, algorithm);
        for (const file of await readdir(dir).catch(() => [] as string[])) {
          const full = path.join(dir, file);
          const info = await stat(full).catch(() => undefined);
          if (!info?.isFile()) continue;
          const isTemp = file.startsWith(TEMP_PREFIX);
          if (!isTemp && reachable.has(`${algorithm}:${file}`)) continue;
          if (Date.now() - info.mtimeMs < (isTemp ? Math.max(grace, 60 * 60_000) : grace)) continue;
          if (!options.dryRun) await unlink(full).catch(() => undefined);
          if (!isTemp) {
            result.removed.push({ digest: `${algorithm}:${file}`, size: info.size });
            result.bytes += info.size;
          }
        }
      }
      return result;
    });
  }

  // ---- internals -------------------------------------------------------

  private blobPath(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return path.join(this.root, 'blobs', algorithm, hex);
  }

  private assertWritable(): void {
    if (this.readOnly) throw new UsageError('read_only_store', `${this.name} is open read-only`);
  }

  /** Creates the layout on first write; refuses to write into a directory that is something else. */
  private async ensureLayout(): Promise<void> {
    if (this.layoutChecked) return;
    const marker = path.join(this.root, OCI_LAYOUT_FILE);
    const existing = await readFile(marker, 'utf8').catch((err: unknown) => {
      if (isMissing(err)) return undefined;
      throw this.fsError(err, marker);
    });
    if (existing === undefined) {
      const entries = await readdir(this.root).catch((err: unknown) => {
        if (isMissing(err)) return [] as string[];
        throw this.fsError(err, this.root);
      });
      // Another writer may be creating the layout right now: its files are not foreign.
      const ours = (e: string): boolean => ['blobs', INDEX_FILE, OCI_LAYOUT_FILE].includes(e) || e.startsWith(LOCK_FILE) || e.includes(TEMP_PREFIX);
      if (!entries.every(ours)) {
        throw new UsageError('not_an_oci_layout', `${this.root} is a non-empty directory without an oci-layout file`, {
          hint: 'give an empty or new directory, or an existing OCI image layout',
        });
      }
      await mkdir(path.join(this.root, 'blobs', 'sha256'), { recursive: true }).catch((err: unknown) => {
        throw this.fsError(err, this.root);
      });
      await atomicWrite(marker, JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION })).catch((err: unknown) => {
        throw this.fsError(err, marker);
      });
      await withFileLock(path.join(this.root, LOCK_FILE), async () => {
        if (!(await exists(path.join(this.root, INDEX_FILE)))) await this.writeIndex(emptyIndex());
      });
    } else {
      checkLayoutVersion(existing, marker);
    }
    this.layoutChecked = true;
  }

  private async readIndex(): Promise<IndexDocument> {
    if (!this.layoutChecked) {
      const marker = path.join(this.root, OCI_LAYOUT_FILE);
      const text = await readFile(marker, 'utf8').catch((err: unknown) => {
        if (isMissing(err)) return undefined;
        throw this.fsError(err, marker);
      });
      if (text === undefined) {
        throw new NotFoundError('layout_not_found', `${this.root} is not an OCI image layout (no oci-layout file)`);
      }
      checkLayoutVersion(text, marker);
    }
    const file = path.join(this.root, INDEX_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (isMissing(err)) return emptyIndex();
      throw this.fsError(err, file);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (cause) {
      throw new EpackError('input', 'invalid_layout_index', `${file} is not valid JSON`, { cause });
    }
    const index = doc as Partial<IndexDocument> | null;
    if (typeof index !== 'object' || index === null || (index.manifests !== undefined && !Array.isArray(index.manifests))) {
      throw new EpackError('input', 'invalid_layout_index', `${file} is not an image index`);
    }
    return { ...index, schemaVersion: index.schemaVersion ?? 2, manifests: index.manifests ?? [] } as IndexDocument;
  }

  private async writeIndex(index: IndexDocument): Promise<void> {
    const file = path.join(this.root, INDEX_FILE);
    const doc = { ...index, schemaVersion: 2, mediaType: MediaType.imageIndex, manifests: index.manifests };
    await atomicWrite(file, JSON.stringify(doc)).catch((err: unknown) => {
      throw this.fsError(err, file);
    });
  }

  /** Read-modify-write of index.json under the layout's lock. */
  private async updateIndex(change: (manifests: Descriptor[]) => Descriptor[]): Promise<void> {
    await this.ensureLayout();
    await withFileLock(path.join(this.root, LOCK_FILE), async () => {
      const index = await this.readIndex();
      const next = change(index.manifests);
      if (sameEntries(index.manifests, next)) return;
      await this.writeIndex({ ...index, manifests: next });
    });
  }

  private async addUntagged(desc: Descriptor): Promise<void> {
    const current = await this.readIndex();
    if (current.manifests.some((m) => m.digest === desc.digest)) return;
    await this.updateIndex((manifests) => (manifests.some((m) => m.digest === desc.digest) ? manifests : [...manifests, entryFor(desc)]));
  }

  private async readBlobIfPresent(digest: string): Promise<Uint8Array | undefined> {
    try {
      const info = await stat(this.blobPath(digest));
      if (info.size > 64 * 1024 * 1024) return undefined;
      return await readFile(this.blobPath(digest));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw this.fsError(err, digest);
    }
  }

  /** A manifest's parsed content, cached by digest (content never changes); null when unreadable. */
  private async parsedManifest(digest: string): Promise<ParsedManifest | null> {
    const cached = this.parsed.get(digest);
    if (cached !== undefined) return cached;
    const bytes = await this.readBlobIfPresent(digest);
    let parsed: ParsedManifest | null = null;
    if (bytes) {
      try {
        parsed = parseManifest(bytes, digest);
      } catch {
        parsed = null;
      }
    }
    if (bytes) this.parsed.set(digest, parsed);
    return parsed;
  }

  /** Every manifest index.json reaches, including the children of indexes. */
  private async allManifests(): Promise<{ desc: Descriptor; parsed: ParsedManifest }[]> {
    const index = await this.readIndex();
    const out: { desc: Descriptor; parsed: ParsedManifest }[] = [];
    const seen = new Set<string>();
    const pending = [...index.manifests];
    while (pending.length > 0) {
      const desc = pending.shift()!;
      if (seen.has(desc.digest) || !isManifestType(desc.mediaType)) continue;
      seen.add(desc.digest);
      const parsed = await this.parsedManifest(desc.digest);
      if (!parsed) continue;
      out.push({ desc: plain(desc), parsed });
      if (isIndexType(desc.mediaType)) pending.push(...parsed.manifests);
    }
    return out;
  }

  private fsError(err: unknown, what: string): EpackError {
    if (err instanceof EpackError) return err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return new NotFoundError('blob_unknown', `${what} is not in ${this.name}`, { cause: err });
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      return new UsageError('layout_not_writable', `cannot write ${what} in ${this.name}: ${code}`, { cause: err, hint: 'check the directory permissions' });
    }
    if (code === 'ENOSPC' || code === 'EDQUOT') return new EpackError('input', 'disk_full', `no space left writing ${what} in ${this.name}`, { cause: err });
    return new EpackError('internal', 'layout_io_error', `${what} in ${this.name}: ${(err as Error).message}`, { cause: err });
  }
}

function emptyIndex(): IndexDocument {
  return { schemaVersion: 2, mediaType: MediaType.imageIndex, manifests: [] };
}

function checkLayoutVersion(text: string, file: string): void {
  let version: unknown;
  try {
    version = (JSON.parse(text) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  } catch (cause) {
    throw new EpackError('input', 'invalid_oci_layout', `${file} is not valid JSON`, { cause });
  }
  if (version !== OCI_LAYOUT_VERSION) {
    throw new EpackError('input', 'unsupported_oci_layout', `${file}: imageLayoutVersion ${JSON.stringify(version)} is not supported (expected ${OCI_LAYOUT_VERSION})`);
  }
}

function plain(desc: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  if (desc.artifactType !== undefined) out.artifactType = desc.artifactType;
  if (desc.platform !== undefined) out.platform = desc.platform;
  return out;
}

function entryFor(desc: Descriptor): Descriptor {
  const out = plain(desc);
  const annotations = { ...desc.annotations };
  delete annotations[Annotation.refName];
  if (Object.keys(annotations).length > 0) out.annotations = annotations;
  return out;
}

function untaggedEntry(desc: Descriptor): Descriptor {
  return entryFor(desc);
}

function sameEntries(a: Descriptor[], b: Descriptor[]): boolean {
  return a.length === b.length && JSON.stringify(a) === JSON.stringify(b);
}

/** The media type a manifest declares, or what its shape says it is. */
function sniffManifestType(bytes: Uint8Array): string | undefined {
  try {
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as { mediaType?: unknown; manifests?: unknown; config?: unknown };
    if (typeof doc.mediaType === 'string' && isManifestType(doc.mediaType)) return doc.mediaType;
    if (Array.isArray(doc.manifests)) return MediaType.imageIndex;
    if (doc.config !== undefined) return MediaType.imageManifest;
  } catch {
    return undefined;
  }
  return undefined;
}

async function atomicWrite(file: string, text: string): Promise<void> {
  const temp = `${file}.${TEMP_PREFIX}${randomBytes(8).toString('hex')}`;
  try {
    await writeFile(temp, text, { flag: 'wx', flush: true });
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

registerVerifyingFetch(OciLayoutStore.prototype.fetch);
