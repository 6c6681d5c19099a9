/**
 * Writing Evidence Pack files. `writePack` is the one way a pack file comes
 * into existence (build, merge, pull, sign): it takes manifest.json bytes
 * verbatim, streams every artifact into the archive while hashing it, and
 * refuses to finish unless each artifact has exactly the size and digest the
 * manifest records. The ZIP layout is deterministic (see zip-write.ts):
 *
 *   manifest.json, artifacts/, artifacts sorted by raw UTF-8 bytes,
 *   attestations sorted by raw UTF-8 bytes.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { Readable } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import { PackError } from '../error.js';
import { checked } from './artifact-check.js';
import { compareUtf8, computeManifestDigest } from './digest.js';
import { resolveLimits } from './limits.js';
import { embeddedArtifacts, parseManifest } from './manifest.js';
import { validateArtifactPath } from './paths.js';
import type { EmbeddedArtifact, PackLimits, PackManifest } from './types.js';
import { openPack } from './read.js';
import { ARTIFACTS_PREFIX as ARTIFACTS_DIR, ATTESTATIONS_PREFIX as ATTESTATIONS_DIR, checkAttestationFileName, MANIFEST_PATH } from './entries.js';
import { writeZipAtomic, ZIP_DEFLATE_LEVEL, zipTimeFromEnv, type ZipWriteEntry } from './zip-write.js';

export interface PackArtifactInput {
  /** Path inside the pack (`artifacts/...`), as in the manifest. */
  path: string;
  size: number;
  /** Opens the bytes; called exactly once, when the entry is written. */
  open(): Promise<Readable>;
  /**
   * The digest the opened stream already proves: it errors instead of ending
   * unless its bytes have this digest and `size` (a verified registry blob).
   * When it is the manifest's digest the writer does not hash the bytes again.
   */
  verifiedDigest?: string;
}

export interface PackAttestationInput {
  /** `attestations/<key>.sigstore.json` */
  path: string;
  bytes: Uint8Array;
}

export interface WritePackInput {
  /** manifest.json, written byte for byte. */
  manifestBytes: Uint8Array;
  artifacts: readonly PackArtifactInput[];
  attestations?: readonly PackAttestationInput[];
}

export interface WritePackOptions {
  /** ZIP entry timestamp; default from SOURCE_DATE_EPOCH, else 1980-01-01. */
  mtime?: Date;
  limits?: Partial<PackLimits>;
}

export interface WritePackResult {
  path: string;
  /** Archive size in bytes. */
  size: number;
  stream: string;
  packDigest: string;
  manifestDigest: string;
  artifacts: number;
  attestations: number;
}

/**
 * Deflated entries must stay well inside every reader's compression-ratio
 * budget (the reference implementation checks 100:1 on entries of a few KB).
 * An entry that deflates better than this is stored instead, which is
 * decided from its bytes alone, so output stays deterministic.
 */
const MAX_WRITTEN_RATIO = 50;

const STORED_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.gif', '.webp', '.pdf', '.zip', '.gz', '.tgz', '.xz', '.zst', '.bz2', '.7z', '.jar', '.epack', '.woff2', '.mp4']);
const STORED_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'application/zip', 'application/gzip', 'application/zstd', 'application/x-xz']);

/**
 * Content check for artifacts of 64 KiB or more that metadata would
 * deflate: their first 64 KiB are deflated at the writer's level, and the
 * artifact is stored when that saves less than 3% (compressed >= 97% of the
 * sample). Smaller artifacts cost little to deflate and keep the metadata rule. Random, encrypted or compressed data then skips a ~30 MB/s
 * deflate that gains nothing. A pure function of the bytes, so build and
 * pull choose alike and packs stay byte-identical.
 */
export const INCOMPRESSIBLE_SAMPLE_BYTES = 64 * 1024;
export const INCOMPRESSIBLE_RATIO = 0.97;

/** Whether a sample of an entry's first bytes is worth deflating. */
export function sampleDeflates(head: Uint8Array): boolean {
  if (head.length === 0) return true;
  const compressed = deflateRawSync(head, { level: ZIP_DEFLATE_LEVEL }).length;
  return compressed < head.length * INCOMPRESSIBLE_RATIO;
}

const CONTENT_SAMPLE = { bytes: INCOMPRESSIBLE_SAMPLE_BYTES, deflate: (head: Buffer): boolean => sampleDeflates(head) };

/** Store or deflate, from metadata only: already-compressed formats are stored. */
export function shouldDeflate(path: string, contentType?: string): boolean {
  if (contentType && STORED_TYPES.has(contentType.toLowerCase())) return false;
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const dot = base.lastIndexOf('.');
  return !(dot > 0 && STORED_EXTENSIONS.has(base.slice(dot)));
}

/** Writes a pack file atomically; see the module comment. */
export async function writePack(outPath: string, input: WritePackInput, opts: WritePackOptions = {}): Promise<WritePackResult> {
  const limits = resolveLimits(opts.limits);
  const manifest = parseManifest(input.manifestBytes, limits);
  const manifestDigest = computeManifestDigest(input.manifestBytes);
  const expected = checkArtifactSet(manifest, input.artifacts, limits);
  const attestations = checkAttestations(input.attestations ?? [], limits);
  const mtime = opts.mtime ?? zipTimeFromEnv();

  const summary = (size: number): WritePackResult => ({
    path: outPath,
    size,
    stream: manifest.stream,
    packDigest: manifest.pack_digest,
    manifestDigest,
    artifacts: expected.size,
    attestations: attestations.length,
  });

  // Pass one deflates what metadata allows, into a sibling temp file. Only
  // the deflated sizes tell whether an entry compresses too well; if one
  // does, pass two rewrites the archive storing it, reading every artifact
  // back from pass one so no input (e.g. a registry blob) is opened twice.
  const firstPath = siblingTempPath(outPath);
  try {
    const first = await writeZipAtomic(firstPath, layout(input.manifestBytes, sourcedArtifacts(input.artifacts, expected), attestations, new Set()), { mtime });
    const stored = new Set<string>();
    for (const [name, sizes] of first.entrySizes) {
      if (sizes.uncompressed > sizes.compressed * MAX_WRITTEN_RATIO) stored.add(name);
    }
    if (stored.size === 0) {
      await rename(firstPath, outPath).catch((err: unknown) => {
        throw new PackError('zip_write_failed', `cannot move the pack to ${outPath}: ${(err as Error).message}`, { cause: err });
      });
      return summary(first.size);
    }
    const firstPack = await openPack(firstPath, { limits: ownOutputLimits(limits, first.entrySizes) });
    try {
      const fromFirst = firstPack.artifacts.map((a) => ({ meta: expected.get(a.path)!, open: () => firstPack.openArtifact(a.path) }));
      const second = await writeZipAtomic(outPath, layout(input.manifestBytes, fromFirst, attestations, stored), { mtime });
      return summary(second.size);
    } finally {
      await firstPack.close();
    }
  } finally {
    await rm(firstPath, { force: true }).catch(() => undefined);
  }
}

/** An artifact to lay out: its manifest entry and where its bytes come from. */
interface ArtifactSource {
  meta: EmbeddedArtifact;
  open(): Promise<Readable>;
}

function sourcedArtifacts(artifacts: readonly PackArtifactInput[], expected: Map<string, EmbeddedArtifact>): ArtifactSource[] {
  return artifacts.map((a) => {
    const meta = expected.get(a.path)!;
    if (a.verifiedDigest === meta.digest) return { meta, open: () => a.open() };
    return { meta, open: async () => checked(await a.open(), meta) };
  });
}

function siblingTempPath(outPath: string): string {
  return join(dirname(resolvePath(outPath)), `.${basename(outPath)}.${randomBytes(6).toString('hex')}.pass1.tmp`);
}

/**
 * Limits for reading back the archive this writer just wrote from checked
 * inputs: the caller's, widened only where the archive as a whole may
 * legitimately exceed them (its entries' ratio is what pass two fixes).
 */
function ownOutputLimits(limits: PackLimits, entrySizes: ReadonlyMap<string, { uncompressed: number }>): PackLimits {
  let total = 0;
  for (const sizes of entrySizes.values()) total += sizes.uncompressed;
  return {
    ...limits,
    maxPackSize: Math.max(limits.maxPackSize, total),
    maxEntryCount: Math.max(limits.maxEntryCount, entrySizes.size + 1),
    maxCompressionRatio: Number.MAX_VALUE,
  };
}

function layout(manifestBytes: Uint8Array, artifacts: readonly ArtifactSource[], attestations: PackAttestationInput[], stored: ReadonlySet<string>): ZipWriteEntry[] {
  const manifestBuffer = Buffer.from(manifestBytes.buffer, manifestBytes.byteOffset, manifestBytes.byteLength);
  const entries: ZipWriteEntry[] = [
    bufferEntry(MANIFEST_PATH, manifestBuffer, !stored.has(MANIFEST_PATH)),
    { kind: 'directory', name: ARTIFACTS_DIR },
  ];
  for (const { meta, open } of [...artifacts].sort((a, b) => compareUtf8(a.meta.path, b.meta.path))) {
    entries.push({
      kind: 'file',
      name: meta.path,
      size: meta.size,
      compress: !stored.has(meta.path) && shouldDeflate(meta.path, meta.content_type),
      ...(meta.size >= INCOMPRESSIBLE_SAMPLE_BYTES ? { sample: CONTENT_SAMPLE } : {}),
      open,
    });
  }
  for (const att of attestations) {
    entries.push(bufferEntry(att.path, Buffer.from(att.bytes.buffer, att.bytes.byteOffset, att.bytes.byteLength), !stored.has(att.path)));
  }
  return entries;
}

function bufferEntry(name: string, bytes: Buffer, compress: boolean): ZipWriteEntry {
  return {
    kind: 'file',
    name,
    size: bytes.length,
    compress,
    open: async () => Readable.from([bytes]),
  };
}

function checkArtifactSet(manifest: PackManifest, artifacts: readonly PackArtifactInput[], limits: PackLimits): Map<string, EmbeddedArtifact> {
  const expected = new Map<string, EmbeddedArtifact>();
  for (const a of embeddedArtifacts(manifest)) {
    if (!a.path.startsWith(ARTIFACTS_DIR)) throw new PackError('artifact_outside_directory', `${a.path}: embedded artifacts must be under artifacts/`);
    if (expected.has(a.path)) throw new PackError('duplicate_path', `${a.path} is listed twice in the manifest`);
    if (a.size > limits.maxArtifactSize) throw new PackError('artifact_too_large', `${a.path} is ${a.size} bytes, the limit is ${limits.maxArtifactSize}`);
    expected.set(a.path, a);
  }
  if (expected.size > limits.maxArtifactCount) throw new PackError('too_many_artifacts', `${expected.size} artifacts, the limit is ${limits.maxArtifactCount}`);
  const given = new Set<string>();
  let total = 0;
  for (const a of artifacts) {
    const meta = expected.get(a.path);
    if (!meta) throw new PackError('extra_artifact_not_in_manifest', `${a.path} is not an embedded artifact of the manifest`);
    if (given.has(a.path)) throw new PackError('duplicate_path', `${a.path} is given twice`);
    if (a.size !== meta.size) throw new PackError('size_mismatch', `${a.path} is ${a.size} bytes, the manifest says ${meta.size}`);
    given.add(a.path);
    total += a.size;
  }
  for (const path of expected.keys()) {
    if (!given.has(path)) throw new PackError('missing_embedded_artifact', `no content given for ${path}`);
  }
  if (total > limits.maxPackSize) throw new PackError('pack_too_large', `the artifacts total ${total} bytes, the limit is ${limits.maxPackSize}`);
  return expected;
}

function checkAttestations(attestations: readonly PackAttestationInput[], limits: PackLimits): PackAttestationInput[] {
  const seen = new Set<string>();
  for (const att of attestations) {
    checkAttestationFileName(att.path);
    validateArtifactPath(att.path);
    if (seen.has(att.path)) throw new PackError('duplicate_path', `${att.path} is given twice`);
    if (att.bytes.byteLength > limits.maxAttestationSize) {
      throw new PackError('attestation_too_large', `${att.path} is ${att.bytes.byteLength} bytes, the limit is ${limits.maxAttestationSize}`);
    }
    seen.add(att.path);
  }
  return [...attestations].sort((a, b) => compareUtf8(a.path, b.path));
}

/**
 * Adds (or replaces) one attestation in a pack file without touching
 * manifest.json or any artifact: the entries are streamed from the old file
 * into a new one that atomically replaces it. Signing uses this.
 */
export async function rewritePackWithAttestation(packPath: string, name: string, bundleBytes: Uint8Array, opts: WritePackOptions = {}): Promise<WritePackResult> {
  const path = name.startsWith(ATTESTATIONS_DIR) ? name : ATTESTATIONS_DIR + name;
  const pack = await openPack(packPath, opts.limits ? { limits: opts.limits } : {});
  try {
    const attestations: PackAttestationInput[] = [];
    for (const p of pack.attestations) {
      if (p !== path) attestations.push({ path: p, bytes: await pack.readAttestation(p) });
    }
    attestations.push({ path, bytes: bundleBytes });
    return await writePack(
      packPath,
      {
        manifestBytes: pack.manifestBytes,
        artifacts: pack.artifacts.map((a) => ({ path: a.path, size: a.size, open: () => pack.openArtifact(a.path) })),
        attestations,
      },
      opts,
    );
  } finally {
    await pack.close();
  }
}
