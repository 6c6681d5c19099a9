/**
 * Pushes an Evidence Pack to a store as one OCI artifact (design §4).
 *
 * Order matters for readers: blobs first (skipping what the target already
 * has, mounting from a sibling repository where possible), then the config,
 * then the manifest with its first tag (one PUT by tag, which a registry
 * stores and tags at once; by digest where there is no tag), and only then
 * the other tags. A reader that sees a
 * tag therefore always finds everything it points at.
 */
import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { EpackError, UsageError } from '../error.js';
import type { Descriptor, ImageManifest } from '../oci/descriptor.js';
import { opensVerified } from '../pack/artifact-check.js';
import type { PackReader } from '../pack/types.js';
import { isMounter, isReferencePusher, type Target } from '../store/types.js';
import { digestOf, isDigest, verifyBytes } from '../oci/digest.js';
import { readAll } from '../store/read-all.js';
import { resolveConcurrency } from './concurrency.js';
import { type AttestationBlob, MAX_IMAGE_MANIFEST_SIZE, type MappingOptions, packToImageManifest } from './mapping.js';

/** A snapshot of a push's progress. */
export interface PushProgress {
  blobsTotal: number;
  blobsDone: number;
  bytesTotal: number;
  /** Bytes uploaded or found already present. */
  bytesDone: number;
  /** The blob that just changed state, when there is one. */
  current?: { path: string; digest: string; size: number; status: 'uploading' | 'exists' | 'stored' };
}

export interface PushPackOptions extends MappingOptions {
  /** Tags to point at the pushed manifest (the reference's tag first, then labels). */
  tags?: readonly string[];
  /** Blob uploads in flight at once (default 4). */
  concurrency?: number;
  /** A repository of the same registry to mount existing blobs from. */
  mountFrom?: string;
  /** Check what the target has and report what would be sent; store nothing. */
  dryRun?: boolean;
  /**
   * Tags or digests in the target of earlier pushes (e.g. the previous
   * release, or the tag being pushed again). The blobs their manifests list
   * are held by the target, so they are not checked one by one: a re-push
   * sends one GET per base instead of one HEAD per unchanged blob. A base
   * that does not exist, or is not an image manifest, is ignored.
   */
  bases?: readonly string[];
  signal?: AbortSignal;
  onProgress?: (progress: PushProgress) => void;
}

export interface PushPackResult {
  /** Digest of the OCI manifest. */
  digest: string;
  size: number;
  mediaType: string;
  artifactType: string;
  tags: string[];
  /** Blobs (layers and config) sent to the target (with dryRun: that would be sent). */
  blobsPushed: number;
  /** Blobs the target already had. */
  blobsSkipped: number;
  /** Of the skipped blobs, those known to be present from a base manifest (not checked). */
  blobsKnownFromBase: number;
  bytesPushed: number;
  /** The OCI manifest pushed (or that would be). */
  manifest: ImageManifest;
  dryRun: boolean;
}

/** Blobs up to this size are read into memory before they are pushed (the registry client's single-POST limit). */
const SMALL_BLOB_BYTES = 1024 * 1024;
/** Existence checks (HEAD) in flight at once during a push. */
const EXISTS_CONCURRENCY = 16;

const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

interface Blob {
  path: string;
  desc: Descriptor;
  open: () => Promise<Readable>;
  /** `open` gives a stream that checks `desc` itself. */
  verified: boolean;
}

export async function pushPack(target: Target, pack: PackReader, options: PushPackOptions = {}): Promise<PushPackResult> {
  const tags = uniqueTags(options.tags ?? []);
  const concurrency = resolveConcurrency(options.concurrency, 4);
  const attestations = await loadAttestations(pack);
  const mapped = packToImageManifest(
    { manifestBytes: pack.manifestBytes, manifest: pack.manifest, artifacts: pack.artifacts, attestations: attestations.map((a) => a.blob) },
    options,
  );

  const readerVerifies = opensVerified(pack);
  // Identical content under two paths is one blob.
  const layers = new Map<string, Blob>();
  for (const { artifact, layer } of mapped.artifactLayers) {
    if (!layers.has(layer.digest)) layers.set(layer.digest, { path: artifact.path, desc: layer, open: () => pack.openArtifact(artifact.path), verified: readerVerifies });
  }
  for (const att of attestations) {
    const layer = mapped.attestationLayers.find((l) => l.path === att.blob.path)!.layer;
    if (!layers.has(layer.digest)) layers.set(layer.digest, { path: att.blob.path, desc: layer, open: async () => Readable.from([att.bytes]), verified: false });
  }
  const config: Blob = { path: 'manifest.json', desc: mapped.config, open: async () => Readable.from([pack.manifestBytes]), verified: false };
  const allBlobs = [...layers.values(), ...(layers.has(config.desc.digest) ? [] : [config])];

  const progress: PushProgress = {
    blobsTotal: allBlobs.length,
    blobsDone: 0,
    bytesTotal: allBlobs.reduce((sum, b) => sum + b.desc.size, 0),
    bytesDone: 0,
  };
  const report = (current?: PushProgress['current']): void => {
    if (options.onProgress) options.onProgress(current ? { ...progress, current } : { ...progress });
  };
  report();

  const known = await blobsOfBases(target, options.bases ?? [], options.signal);
  let blobsKnownFromBase = 0;
  let blobsPushed = 0;
  let blobsSkipped = 0;
  let bytesPushed = 0;
  // The first failure stops the rest: running uploads are aborted, queued ones end at once.
  const abort = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
  let firstError: unknown;
  const fail = (err: unknown): void => {
    if (firstError !== undefined) return;
    firstError = err;
    abort.abort(err);
  };
  const sendBlob = async (blob: Blob, uploadSlot: <T>(upload: () => Promise<T>) => Promise<T> = (upload) => upload()): Promise<void> => {
    signal.throwIfAborted();
    const current = { path: blob.path, digest: blob.desc.digest, size: blob.desc.size };
    const fromBase = known.get(blob.desc.digest) === blob.desc.size;
    if (fromBase || (await target.exists(blob.desc, { signal }))) {
      if (fromBase) blobsKnownFromBase++;
      blobsSkipped++;
      progress.blobsDone++;
      progress.bytesDone += blob.desc.size;
      report({ ...current, status: 'exists' });
      return;
    }
    signal.throwIfAborted();
    if (options.dryRun) {
      blobsPushed++;
      bytesPushed += blob.desc.size;
      return;
    }
    // A failed upload aborts the others before its slot goes to the next one in line.
    const upload = async (): Promise<void> => {
      signal.throwIfAborted();
      report({ ...current, status: 'uploading' });
      let sent = 0;
      const pushOptions = {
        signal,
        // checked just above: the store need not send its own HEAD
        knownMissing: true,
        // the pack reader's digest check of an artifact is the layer's (mapping.ts proves them equal)
        contentVerified: blob.verified,
        onProgress: (bytes: number) => {
          progress.bytesDone += bytes - sent;
          sent = bytes;
          report();
        },
      };
      if (options.mountFrom && isMounter(target)) {
        await target.mount(blob.desc, options.mountFrom, async () => lazy(blob.open), pushOptions);
      } else if (blob.desc.size <= SMALL_BLOB_BYTES) {
        // In memory: a registry that takes single-request uploads gets one POST instead of POST + PUT,
        // and a retry replays the bytes.
        await target.push(blob.desc, await readAll(await blob.open(), blob.desc.size + 1), pushOptions);
      } else if (canReopen(target)) {
        // A connection broken mid-upload restarts from a fresh read of the pack, not a spent stream.
        await target.pushBlobFrom(blob.desc, blob.open, pushOptions);
      } else {
        await target.push(blob.desc, lazy(blob.open), pushOptions);
      }
      progress.bytesDone += blob.desc.size - sent;
    };
    await uploadSlot(() =>
      upload().catch((err: unknown) => {
        fail(err);
        throw err;
      }),
    );
    progress.blobsDone++;
    blobsPushed++;
    bytesPushed += blob.desc.size;
    report({ ...current, status: 'stored' });
  };

  // Existence checks are small requests: more of them are in flight than uploads, so a
  // re-push of many unchanged blobs is not paced by the upload concurrency.
  const uploads = pLimit(concurrency);
  const checks = pLimit(Math.max(concurrency, EXISTS_CONCURRENCY));
  const outcomes = await Promise.allSettled(
    [...layers.values()].map((blob) =>
      checks(async () => {
        try {
          await sendBlob(blob, uploads);
        } catch (err) {
          fail(err);
          throw err;
        }
      }),
    ),
  );
  if (outcomes.some((o) => o.status === 'rejected')) throw firstError;
  if (!layers.has(config.desc.digest)) await sendBlob(config);

  options.signal?.throwIfAborted();
  const signalOption = options.signal ? { signal: options.signal } : {};
  if (!options.dryRun) {
    // A registry stores a manifest PUT by tag and sets the tag in one request, so the
    // first tag goes with the manifest itself (one upload and one check of its blobs, not two).
    const [firstTag, ...otherTags] = tags;
    const byReference = firstTag !== undefined && isReferencePusher(target) ? target : undefined;
    const putManifest = (): Promise<void> =>
      byReference ? byReference.pushReference(mapped.descriptor, mapped.bytes, firstTag!, signalOption) : target.push(mapped.descriptor, mapped.bytes, signalOption);
    try {
      await putManifest();
    } catch (err) {
      // A base listed a blob the target no longer has (a registry that lost or
      // collected it): check every blob like any other, then try once more.
      if (blobsKnownFromBase === 0 || !(err instanceof EpackError) || err.code !== 'manifest_blob_unknown') throw err;
      known.clear();
      blobsKnownFromBase = blobsPushed = blobsSkipped = bytesPushed = progress.blobsDone = progress.bytesDone = 0;
      const uploads = pLimit(concurrency);
      await Promise.all(allBlobs.map((blob) => sendBlob(blob, uploads)));
      await putManifest();
    }
    if (byReference) for (const tag of otherTags) await byReference.pushReference(mapped.descriptor, mapped.bytes, tag, signalOption);
    else for (const tag of tags) await target.tag(mapped.descriptor, tag, signalOption);
  }
  return {
    digest: mapped.descriptor.digest,
    size: mapped.descriptor.size,
    mediaType: mapped.descriptor.mediaType,
    artifactType: mapped.descriptor.artifactType!,
    tags,
    blobsPushed,
    blobsSkipped,
    blobsKnownFromBase,
    bytesPushed,
    manifest: mapped.imageManifest,
    dryRun: options.dryRun ?? false,
  };
}

/** Digest → size of every blob the image manifests of `bases` in `target` list (config and layers). */
async function blobsOfBases(target: Target, bases: readonly string[], signal: AbortSignal | undefined): Promise<Map<string, number>> {
  const known = new Map<string, number>();
  const signalOption = signal ? { signal } : {};
  for (const base of bases) {
    if (!TAG.test(base) && !isDigest(base)) {
      throw new UsageError('invalid_base', `base "${base}" is neither a tag nor a digest`, { hint: 'give a tag (e.g. --base v1) or a digest (sha256:...) of the target repository' });
    }
  }
  for (const base of new Set(bases)) {
    let manifest: ImageManifest | undefined;
    try {
      const desc = await target.resolve(base, signalOption);
      if (desc.size > MAX_IMAGE_MANIFEST_SIZE) continue;
      const bytes = await readAll(await target.fetch(desc, signalOption), MAX_IMAGE_MANIFEST_SIZE);
      verifyBytes(desc, bytes, base);
      manifest = imageManifestOrUndefined(bytes);
    } catch (err) {
      if (err instanceof EpackError && err.kind === 'not_found') continue;
      throw err;
    }
    if (!manifest) continue;
    for (const desc of [manifest.config, ...manifest.layers]) known.set(desc.digest, desc.size);
  }
  return known;
}

function imageManifestOrUndefined(bytes: Uint8Array): ImageManifest | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const m = parsed as Partial<ImageManifest>;
  const isDescriptor = (d: unknown): d is Descriptor =>
    typeof d === 'object' && d !== null && typeof (d as Descriptor).digest === 'string' && Number.isSafeInteger((d as Descriptor).size);
  if (!isDescriptor(m.config) || !Array.isArray(m.layers) || !m.layers.every(isDescriptor)) return undefined;
  return m as ImageManifest;
}

/** A store whose blob upload can open the content again (registries). */
interface ReopeningPusher {
  pushBlobFrom(desc: Descriptor, open: () => Promise<Readable>, options?: { signal?: AbortSignal; onProgress?: (bytes: number) => void }): Promise<void>;
}

function canReopen(target: unknown): target is ReopeningPusher {
  return typeof (target as Partial<ReopeningPusher>).pushBlobFrom === 'function';
}

/**
 * A stream that opens its source on the first read. A store may await other
 * things before it reads; a source that was already flowing could fail in
 * the meantime with nobody listening.
 */
function lazy(open: () => Promise<Readable>): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    const source = await open();
    for await (const chunk of source) yield chunk as Buffer;
  }
  return Readable.from(chunks(), { objectMode: false });
}

async function loadAttestations(pack: PackReader): Promise<{ blob: AttestationBlob; bytes: Uint8Array }[]> {
  const out: { blob: AttestationBlob; bytes: Uint8Array }[] = [];
  for (const path of pack.attestations) {
    const bytes = await pack.readAttestation(path);
    out.push({ blob: { path, digest: digestOf(bytes), size: bytes.byteLength }, bytes });
  }
  return out;
}

function uniqueTags(tags: readonly string[]): string[] {
  const out: string[] = [];
  for (const tag of tags) {
    if (!TAG.test(tag)) {
      throw new UsageError('invalid_tag', `"${tag}" is not a valid tag`, { hint: 'tags are 1-128 of A-Z a-z 0-9 _ . - and do not start with . or -' });
    }
    if (!out.includes(tag)) out.push(tag);
  }
  return out;
}
