/**
 * Pulls a pack artifact into a pack file. The reference is resolved once;
 * everything after works by digest, and every byte is checked against the
 * digests in the OCI manifest, which are checked against manifest.json. The
 * pack is rebuilt with manifest.json and artifacts byte-identical to what was
 * pushed, so its pack_digest, manifest_digest and embedded attestations still
 * verify. The output appears atomically, only when everything (including the
 * caller's `verify`) passed; nothing is left behind otherwise.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Descriptor } from '../oci/descriptor.js';
import type { Readable } from 'node:stream';
import { EpackError, UsageError } from '../error.js';
import { compareUtf8 } from '../pack/digest.js';
import { writePack } from '../pack/write.js';
import type { EmbeddedArtifact, PackLimits } from '../pack/types.js';
import { resolveConcurrency } from './concurrency.js';
import { Prefetcher } from './prefetch.js';
import { fetchVerified, openRemotePack, type PackSourceStore } from './remote-pack.js';

/** What `verify` may also look at: the store and the manifest the reference resolved to (signature referrers). */
export interface PullVerifyContext {
  store: PackSourceStore;
  descriptor: Descriptor;
}

export interface PullProgress {
  blobsTotal: number;
  blobsDone: number;
  bytesTotal: number;
  bytesDone: number;
}

export interface PullPackOptions {
  /** The pack file to write. */
  out: string;
  /**
   * Checks the complete pack before it is moved into place (signature
   * verification of `pull --verify`). Throwing aborts the pull; the
   * temporary file is removed and `out` is untouched.
   */
  verify?: (tmpPath: string, context: PullVerifyContext) => Promise<void>;
  /** Shown in messages (default: `<store name>@<digest>`). */
  displayName?: string;
  /** Budgets of the pack written (default: the spec's; raise them to pull larger packs). */
  limits?: Partial<PackLimits>;
  /**
   * Large blobs (over 1 MiB) downloaded at once (default 1). The pack is one
   * ZIP written in order, so with more than one the blobs after the one
   * being written are downloaded ahead into staging files and copied in
   * when their turn comes. That pays where a single download is slow (a
   * distant registry); where the CPU is the limit (a registry on the same
   * machine or network) the extra copy makes the pull slower
   * (docs/performance.md).
   */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: PullProgress) => void;
}

export interface PullPackResult {
  /** Digest of the OCI manifest the reference resolved to. */
  digest: string;
  size: number;
  out: string;
  stream: string;
  packDigest: string;
  /** Raw hex sha256 of the JCS form of manifest.json. */
  manifestDigest: string;
  artifacts: number;
  attestations: number;
  bytes: number;
}

export async function pullPack(store: PackSourceStore, reference: string | Descriptor, options: PullPackOptions): Promise<PullPackResult> {
  const signalOption = options.signal ? { signal: options.signal } : {};
  const concurrency = resolveConcurrency(options.concurrency, 1);
  const remote = await openRemotePack(store, reference, {
    ...signalOption,
    ...(options.displayName ? { displayName: options.displayName } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });

  const attestations: { path: string; bytes: Uint8Array }[] = [];
  for (const p of remote.attestations) attestations.push({ path: p, bytes: await remote.readAttestation(p) });

  const progress: PullProgress = {
    blobsTotal: remote.artifacts.length,
    blobsDone: 0,
    bytesTotal: remote.artifacts.reduce((sum, a) => sum + a.size, 0),
    bytesDone: 0,
  };
  options.onProgress?.({ ...progress });

  const out = path.resolve(options.out);
  // Like build: the output's folder is created, and before any download, so a bad -o fails at once.
  await mkdir(path.dirname(out), { recursive: true }).catch((err: unknown) => {
    throw outputError(out, err);
  });
  // Staged outside the output directory: a process killed mid-pull (SIGKILL
  // cannot be cleaned up after) leaves nothing partial next to `out`.
  const staging = await mkdtemp(path.join(tmpdir(), 'epack-pull-'));
  const tmp = path.join(staging, 'pack.partial');
  const fetchArtifact = async (artifact: EmbeddedArtifact, signal: AbortSignal): Promise<Readable> => {
    let seen = 0;
    const layer = remote.layerOf(artifact.path);
    const stream = await fetchVerified(store, layer, `${remote.path}: ${artifact.path}`, {
      signal,
      onProgress: (bytes) => {
        // A retried entry is read again: never report more than the total.
        progress.bytesDone = Math.min(progress.bytesTotal, progress.bytesDone + bytes - seen);
        seen = bytes;
        options.onProgress?.({ ...progress });
      },
    });
    stream.once('end', () => {
      progress.blobsDone = Math.min(progress.blobsDone + 1, progress.blobsTotal);
      options.onProgress?.({ ...progress });
    });
    return stream;
  };
  // The writer asks for artifacts one at a time, sorted by path: small ones
  // are fetched ahead into memory, large ones (with concurrency > 1)
  // downloaded ahead, in parallel, into the staging folder.
  const inWriteOrder = [...remote.artifacts].sort((a, b) => compareUtf8(a.path, b.path)).map((a) => ({ ...a, key: a.path }));
  const prefetcher = new Prefetcher(inWriteOrder, fetchArtifact, { ...signalOption, ...(concurrency > 1 ? { stagingDir: staging, stagedBlobs: concurrency - 1 } : {}) });
  try {
    await writePack(tmp, {
      manifestBytes: remote.manifestBytes,
      artifacts: inWriteOrder.map((artifact) => ({
        path: artifact.path,
        size: artifact.size,
        open: () => prefetcher.open(artifact),
        // fetchVerified checks the layer, whose digest and size mapping.ts proved equal to the artifact's
        verifiedDigest: remote.layerOf(artifact.path).digest,
      })),
      attestations,
    }, options.limits ? { limits: options.limits } : {});
    options.signal?.throwIfAborted();
    if (options.verify) await options.verify(tmp, { store, descriptor: remote.descriptor });
    options.signal?.throwIfAborted();
    await moveInto(tmp, out).catch((err: unknown) => {
      throw outputError(out, err);
    });
  } finally {
    await prefetcher.close();
    await rm(staging, { recursive: true, force: true });
  }
  return {
    digest: remote.descriptor.digest,
    size: remote.descriptor.size,
    out,
    stream: remote.manifest.stream,
    packDigest: remote.manifest.pack_digest,
    manifestDigest: remote.manifestDigest,
    artifacts: remote.artifacts.length,
    attestations: remote.attestations.length,
    bytes: progress.bytesTotal,
  };
}

function outputError(out: string, err: unknown): EpackError {
  if (err instanceof EpackError) return err;
  return new UsageError('output_not_writable', `cannot write ${out}: ${(err as Error).message}`, { cause: err, hint: 'choose another -o path' });
}

/** Renames `from` to `to`; across file systems, copies next to `to` first so `to` still appears atomically. */
async function moveInto(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
  }
  const near = path.join(path.dirname(to), `.${path.basename(to)}.${randomBytes(6).toString('hex')}.partial`);
  try {
    await copyFile(from, near);
    await rename(near, to);
  } catch (err) {
    await rm(near, { force: true });
    throw err;
  }
}
