/**
 * Copies a manifest graph (a manifest or index and everything it points
 * at) from one store to another, like oras-go's CopyGraph/ExtendedCopy:
 *
 * - children are stored before their parents, so a destination never
 *   holds a manifest whose blobs are missing;
 * - a node the destination already has is skipped with its whole subtree;
 * - blobs can be mounted across repositories of one registry;
 * - with `referrers`, the manifests referring to the root are copied too,
 *   and their referrers, recursively;
 * - tags are applied only after everything is stored: a failed copy
 *   leaves no tag behind.
 */
import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import type { Descriptor } from '../oci/descriptor.js';
import { EpackError, UsageError } from '../error.js';
import { isMounter, isReferrerLister, type ReadOnlyStorage, type ReferrerLister, type Storage, type Tagger } from './types.js';
import { isManifestType, parseManifest, successors } from './graph.js';
import { readAll } from './read-all.js';

/** Manifests are read into memory; the distribution spec's usual cap is 4 MiB. */
const MANIFEST_LIMIT = 16 * 1024 * 1024;

export type CopyEventType =
  /** The node was reached; `descriptor.size` bytes may follow. */
  | 'found'
  /** Some bytes of a blob went through (`bytes` = bytes of this node so far). */
  | 'bytes'
  /** The node is stored at the destination. */
  | 'copied'
  /** The destination already had it (the subtree is skipped too). */
  | 'skipped'
  /** A referrer of a copied node was found and will be copied. */
  | 'referrer';

export interface CopyEvent {
  type: CopyEventType;
  descriptor: Descriptor;
  bytes?: number;
}

export interface CopyGraphOptions {
  /** Parallel transfers (default 6). */
  concurrency?: number;
  /** Copy the referrers of the root, recursively (`copy -r`). */
  referrers?: boolean;
  /** Only referrers of this artifact type (with `referrers`). */
  artifactType?: string;
  onProgress?: (event: CopyEvent) => void;
  /** Repository (same registry) to mount blobs from, when the destination can mount. */
  mountFrom?: string;
  /** Tags to point at the root once everything is stored. */
  tag?: string | readonly string[];
  signal?: AbortSignal;
}

export interface CopyGraphResult {
  root: Descriptor;
  /** Nodes stored at the destination. */
  copied: number;
  /** Nodes the destination already had. */
  skipped: number;
  /** Bytes of blobs and manifests transferred. */
  bytes: number;
  /** The referrers copied with `referrers` (all levels). */
  referrers: Descriptor[];
  tags: string[];
}

export const DEFAULT_COPY_CONCURRENCY = 6;

type Source = ReadOnlyStorage & Partial<ReferrerLister>;
type Destination = Storage & Partial<Tagger>;

export async function copyGraph(src: Source, dst: Destination, root: Descriptor, options: CopyGraphOptions = {}): Promise<CopyGraphResult> {
  const concurrency = options.concurrency ?? DEFAULT_COPY_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new UsageError('invalid_concurrency', `concurrency must be a whole number from 1 to 64, not ${concurrency}`);
  }
  const tags = options.tag === undefined ? [] : typeof options.tag === 'string' ? [options.tag] : [...options.tag];
  if (tags.length > 0 && typeof dst.tag !== 'function') throw new UsageError('cannot_tag', 'the destination cannot be tagged');

  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = controller.signal;
  const limit = pLimit(concurrency);
  const emit = options.onProgress ?? (() => undefined);
  const result: CopyGraphResult = { root, copied: 0, skipped: 0, bytes: 0, referrers: [], tags: [] };
  const visits = new Map<string, Promise<void>>();

  const copyNode = (desc: Descriptor): Promise<void> => {
    let visit = visits.get(desc.digest);
    if (!visit) {
      visit = copyOne(desc).catch((err: unknown) => {
        controller.abort(err);
        throw err;
      });
      visits.set(desc.digest, visit);
    }
    return visit;
  };

  const copyOne = async (desc: Descriptor): Promise<void> => {
    signal.throwIfAborted();
    emit({ type: 'found', descriptor: desc });
    if (await limit(() => dst.exists(desc, { signal }))) {
      result.skipped++;
      emit({ type: 'skipped', descriptor: desc });
      return;
    }
    if (isManifestType(desc.mediaType)) {
      const bytes = await limit(async () => readAll(await src.fetch(desc, { signal }), MANIFEST_LIMIT));
      const children = successors(desc, parseManifest(bytes, desc.digest));
      await Promise.all(children.map(copyNode));
      await limit(() => dst.push(desc, bytes, { signal }));
    } else {
      await limit(() => copyBlob(desc));
    }
    result.copied++;
    result.bytes += desc.size;
    emit({ type: 'copied', descriptor: desc });
  };

  const copyBlob = async (desc: Descriptor): Promise<void> => {
    const onProgress = (bytes: number): void => emit({ type: 'bytes', descriptor: desc, bytes });
    if (options.mountFrom !== undefined && isMounter(dst)) {
      await dst.mount(desc, options.mountFrom, () => src.fetch(desc, { signal, onProgress }), { signal });
      return;
    }
    await dst.push(desc, lazyContent(() => src.fetch(desc, { signal, onProgress })), { signal });
  };

  try {
    await copyNode(root);
    if (options.referrers) await copyReferrers(src, root, options.artifactType, signal, copyNode, (referrer) => {
      result.referrers.push(referrer);
      emit({ type: 'referrer', descriptor: referrer });
    });
    // Only now that the whole graph is stored may a tag point at it.
    for (const tag of tags) {
      signal.throwIfAborted();
      await dst.tag!(root, tag, { signal });
      result.tags.push(tag);
    }
    return result;
  } catch (err) {
    controller.abort(err);
    // Let in-flight transfers notice the abort and clean up before reporting.
    await Promise.allSettled(visits.values());
    throw firstError(err);
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/** Breadth-first over referrers: the root's, then theirs, each copied once. */
async function copyReferrers(
  src: Source,
  root: Descriptor,
  artifactType: string | undefined,
  signal: AbortSignal,
  copyNode: (desc: Descriptor) => Promise<void>,
  found: (referrer: Descriptor) => void,
): Promise<void> {
  if (!isReferrerLister(src)) throw new UsageError('referrers_unsupported', 'the source cannot list referrers');
  const seen = new Set<string>([root.digest]);
  let level: Descriptor[] = [root];
  while (level.length > 0) {
    const next: Descriptor[] = [];
    for (const node of level) {
      // The filter picks the root's referrers; everything referring to those comes along.
      for await (const referrer of src.referrers(node, node === root ? artifactType : undefined, { signal })) {
        if (seen.has(referrer.digest)) continue;
        seen.add(referrer.digest);
        found(referrer);
        next.push(referrer);
      }
    }
    await Promise.all(next.map(copyNode));
    level = next;
  }
}

/**
 * The source stream, opened only when the destination starts reading: a
 * destination that first checks or mounts must not leave an open (and
 * possibly failing) download behind.
 */
function lazyContent(open: () => Promise<Readable>): Readable {
  return Readable.from(
    (async function* () {
      const source = await open();
      try {
        for await (const chunk of source as AsyncIterable<Uint8Array>) yield chunk;
      } finally {
        source.destroy();
      }
    })(),
    { objectMode: false },
  );
}

function firstError(err: unknown): unknown {
  // An abort caused by an earlier failure carries that failure as its reason.
  if (err instanceof Error && err.name === 'AbortError' && err.cause instanceof EpackError) return err.cause;
  return err;
}
