/**
 * Reading Evidence Pack files: `openPack` gives a {@link PackReader} over a
 * validated archive (safe ZIP, parsed manifest, the artifact set of the ZIP
 * equal to the manifest's); `verifyPackIntegrity` streams every artifact
 * through sha256 (pack.md §5.2). Memory stays flat whatever the pack size:
 * nothing but manifest.json and attestation files is ever held in memory.
 */
import type { Readable } from 'node:stream';
import { EpackError, PackError, VerificationError } from '../error.js';
import { compareUtf8, computeManifestDigest, computePackDigest } from './digest.js';
import { embeddedArtifacts, parseManifest } from './manifest.js';
import type { EmbeddedArtifact, PackLimits, PackManifest, PackReader } from './types.js';
import { checked, registerVerifyingOpen } from './artifact-check.js';
import { ARTIFACTS_PREFIX as ARTIFACTS_DIR, ATTESTATIONS_PREFIX as ATTESTATIONS_DIR, checkPackStructure, MANIFEST_PATH } from './entries.js';
import { SafeZip } from './zip-read.js';

export interface OpenPackOptions {
  limits?: Partial<PackLimits>;
}

/** A pack file opened from disk. */
export class PackFile implements PackReader {
  readonly artifacts: readonly EmbeddedArtifact[];
  readonly attestations: readonly string[];
  private readonly byPath: ReadonlyMap<string, EmbeddedArtifact>;

  constructor(
    private readonly zip: SafeZip,
    readonly manifestBytes: Uint8Array,
    readonly manifest: PackManifest,
    readonly manifestDigest: string,
  ) {
    this.artifacts = embeddedArtifacts(manifest);
    this.byPath = new Map(this.artifacts.map((a) => [a.path, a]));
    this.attestations = [...zip.files.keys()].filter((n) => n.startsWith(ATTESTATIONS_DIR)).sort(compareUtf8);
  }

  get path(): string {
    return this.zip.path;
  }

  /** Size of the pack file in bytes. */
  get size(): number {
    return this.zip.archiveSize;
  }

  get limits(): PackLimits {
    return this.zip.limits;
  }

  async openArtifact(path: string): Promise<Readable> {
    const artifact = this.byPath.get(path);
    if (!artifact) throw new PackError('artifact_not_found', `${path} is not an embedded artifact of ${this.path}`, { details: { path } });
    return checked(this.zip.openEntry(path, this.zip.limits.maxArtifactSize), artifact);
  }

  async readAttestation(path: string): Promise<Uint8Array> {
    if (!this.attestations.includes(path)) throw new PackError('attestation_not_found', `${path} is not an attestation of ${this.path}`, { details: { path } });
    return this.zip.readEntry(path, this.zip.limits.maxAttestationSize);
  }

  async close(): Promise<void> {
    await this.zip.close();
  }
}

/**
 * Opens a pack file. Throws NotFoundError `file_not_found` when it does not
 * exist and PackError (the spec's codes) when it is not a valid pack.
 */
export async function openPack(path: string, opts: OpenPackOptions = {}): Promise<PackFile> {
  const zip = await SafeZip.open(path, opts.limits);
  try {
    const manifestBytes = await zip.readEntry(MANIFEST_PATH, zip.limits.maxManifestSize);
    const manifest = parseManifest(manifestBytes, zip.limits);
    const manifestDigest = computeManifestDigest(manifestBytes);
    checkArtifactEntries(zip, embeddedArtifacts(manifest));
    return new PackFile(zip, manifestBytes, manifest, manifestDigest);
  } catch (err) {
    await zip.close();
    throw err;
  }
}

function checkArtifactEntries(zip: SafeZip, artifacts: readonly EmbeddedArtifact[]): void {
  for (const a of artifacts) {
    if (!a.path.startsWith(ARTIFACTS_DIR)) {
      throw new PackError('artifact_outside_directory', `${a.path}: embedded artifacts must be stored under artifacts/`, { details: { path: a.path } });
    }
  }
  // missing_embedded_artifact, unlisted_artifact (pack.md §5.2)
  checkPackStructure([...zip.files.keys(), ...zip.directories], artifacts);
  for (const a of artifacts) {
    const entry = zip.files.get(a.path)!;
    if (entry.uncompressedSize !== a.size) {
      throw new PackError('size_mismatch', `${a.path} is ${entry.uncompressedSize} bytes in the archive, the manifest records ${a.size}`, { details: { path: a.path } });
    }
  }
}

export interface IntegrityOptions extends OpenPackOptions {
  /** Called after each artifact with the running byte count. */
  onProgress?: (progress: { artifactsDone: number; artifactsTotal: number; bytesDone: number; bytesTotal: number }) => void;
}

export interface IntegritySummary {
  path: string;
  stream: string;
  generatedAt: string;
  packDigest: string;
  manifestDigest: string;
  artifacts: number;
  /** Bytes of artifact content hashed. */
  bytes: number;
  attestations: string[];
}

/** Codes that mean "the bytes were changed", reported as verification failures. */
const TAMPER_CODES = new Set(['digest_mismatch', 'size_mismatch', 'pack_digest_mismatch', 'crc_mismatch', 'entry_size_mismatch', 'missing_embedded_artifact', 'unlisted_artifact']);

/**
 * Verifies a pack's integrity (pack.md §5.2): structure, every artifact's
 * size and sha256, and pack_digest. Tampering is reported as a
 * VerificationError, a malformed pack as a PackError.
 */
export async function verifyPackIntegrity(path: string, opts: IntegrityOptions = {}): Promise<IntegritySummary> {
  try {
    const pack = await openPack(path, opts);
    try {
      return await verifyReaderIntegrity(pack, opts.onProgress);
    } finally {
      await pack.close();
    }
  } catch (err) {
    throw asVerificationFailure(err);
  }
}

/** Streams every artifact of an open pack through its digest check. */
export async function verifyReaderIntegrity(pack: PackReader, onProgress?: IntegrityOptions['onProgress']): Promise<IntegritySummary> {
  const bytesTotal = pack.artifacts.reduce((sum, a) => sum + a.size, 0);
  let bytesDone = 0;
  let artifactsDone = 0;
  for (const artifact of pack.artifacts) {
    const stream = await pack.openArtifact(artifact.path);
    for await (const chunk of stream) bytesDone += (chunk as Buffer).length;
    artifactsDone++;
    onProgress?.({ artifactsDone, artifactsTotal: pack.artifacts.length, bytesDone, bytesTotal });
  }
  const computed = computePackDigest(pack.artifacts);
  if (computed !== pack.manifest.pack_digest) {
    throw new VerificationError('pack_digest_mismatch', `pack_digest is ${pack.manifest.pack_digest}, the artifacts give ${computed}`);
  }
  return {
    path: pack.path,
    stream: pack.manifest.stream,
    generatedAt: pack.manifest.generated_at,
    packDigest: pack.manifest.pack_digest,
    manifestDigest: pack.manifestDigest,
    artifacts: pack.artifacts.length,
    bytes: bytesDone,
    attestations: [...pack.attestations],
  };
}

function asVerificationFailure(err: unknown): unknown {
  if (err instanceof EpackError && err.kind === 'input' && TAMPER_CODES.has(err.code)) {
    return new VerificationError(err.code, err.message, { cause: err, ...(err.details ? { details: err.details } : {}) });
  }
  return err;
}

registerVerifyingOpen(PackFile.prototype.openArtifact);
