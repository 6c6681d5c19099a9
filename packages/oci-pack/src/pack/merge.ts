/**
 * Merging packs (pack.md §3.6, §3.7): the merged pack holds every embedded
 * artifact of its sources, namespaced by source stream
 * (`artifacts/<stream>/<path below artifacts/>`; paths of already-merged
 * sources are kept as they are), and a `provenance` of type `merged` naming
 * each source pack (stream, pack_digest, manifest_digest, artifact count) and
 * carrying its attestations as `embedded_attestations`. Source streams must be
 * unique across the whole merge hierarchy.
 *
 * Attestations of the sources are checked structurally (a v0.3 bundle whose
 * statement signs the source's manifest digest) before they are embedded;
 * checking their signatures and signer identities is the job of an optional
 * `verifyAttestation` callback (the sign area provides one) and, in any
 * case, of whoever verifies the merged pack.
 */
import { UsageError } from '../error.js';
import { parseAttestation, checkSubjectDigest, type ParsedAttestation } from './attestation.js';
import { computePackDigest } from './digest.js';
import { ARTIFACTS_PREFIX } from './entries.js';
import { serializeManifest, SPEC_VERSION } from './manifest.js';
import { checkCaseCollisions, validateArtifactPath } from './paths.js';
import { openPackSource } from './source.js';
import { formatTimestamp, isValidTimestamp } from './timestamp.js';
import type { EmbeddedArtifact, PackArtifact, PackLimits, PackManifest, PackReader } from './types.js';
import { writePack, type WritePackResult } from './write.js';
import { sourceDateEpoch } from './zip-write.js';

export interface MergeOptions {
  stream: string;
  mergedBy?: string;
  /** generated_at and merged_at; default SOURCE_DATE_EPOCH, else now. */
  mergedAt?: string | Date;
  /** Embed the sources' attestations in the provenance (default true). */
  includeAttestations?: boolean;
  /** Cryptographic check of one source attestation; throw to refuse the merge. */
  verifyAttestation?: (attestation: ParsedAttestation, bytes: Uint8Array, source: PackReader) => Promise<void>;
  force?: boolean;
  limits?: Partial<PackLimits>;
}

export interface MergeResult extends WritePackResult {
  sources: { stream: string; packDigest: string; artifacts: number; attestations: number }[];
}

export interface SourcePackProvenance {
  stream: string;
  pack_digest: string;
  manifest_digest: string;
  artifacts: number;
  embedded_attestations?: Record<string, unknown>[];
}

/** Merges packs (file paths or open readers) into `out`. */
export async function mergePacks(out: string, packs: readonly (string | PackReader)[], opts: MergeOptions): Promise<MergeResult> {
  if (!opts.stream) throw new UsageError('missing_stream', 'the merged pack needs a stream', { hint: 'pass --stream <id>' });
  if (packs.length === 0) throw new UsageError('no_inputs', 'name at least one pack to merge');
  if (!opts.force) {
    const { lstat } = await import('node:fs/promises');
    if (await lstat(out).then(() => true, () => false)) throw new UsageError('output_exists', `${out} already exists`, { hint: 'pass --force to replace it' });
  }
  const opened: PackReader[] = [];
  const owned: PackReader[] = [];
  try {
    for (const p of packs) {
      if (typeof p === 'string') {
        const reader = await openPackSource(p, opts.limits ? { limits: opts.limits } : {});
        owned.push(reader);
        opened.push(reader);
      } else opened.push(p);
    }
    checkStreamUniqueness(opened);
    const mergedAt = resolveTime(opts.mergedAt);
    const artifacts: EmbeddedArtifact[] = [];
    // referenced artifacts (pack.md §4.3) carry no bytes; they are kept as they are
    const references: PackArtifact[] = [];
    const origin = new Map<string, { reader: PackReader; path: string }>();
    const sourcePacks: SourcePackProvenance[] = [];
    const summary: MergeResult['sources'] = [];
    for (const reader of opened) {
      const m = reader.manifest;
      const merged = isMerged(m);
      for (const a of reader.artifacts) {
        const target = merged ? a.path : `${ARTIFACTS_PREFIX}${m.stream}/${a.path.slice(ARTIFACTS_PREFIX.length)}`;
        validateArtifactPath(target);
        if (origin.has(target)) throw new UsageError('duplicate_path', `two source packs both contain ${target}`);
        origin.set(target, { reader, path: a.path });
        artifacts.push({ ...a, path: target });
      }
      for (const a of m.artifacts) if (a.type !== 'embedded') references.push(a);
      const embedded = opts.includeAttestations === false ? [] : await embedAttestations(reader, opts);
      sourcePacks.push({
        stream: m.stream,
        pack_digest: m.pack_digest,
        manifest_digest: reader.manifestDigest,
        artifacts: reader.artifacts.length,
        ...(embedded.length > 0 ? { embedded_attestations: embedded } : {}),
      });
      summary.push({ stream: m.stream, packDigest: m.pack_digest, artifacts: reader.artifacts.length, attestations: embedded.length });
    }
    checkCaseCollisions(artifacts.map((a) => a.path));
    artifacts.sort((x, y) => Buffer.compare(Buffer.from(x.path), Buffer.from(y.path)));
    const manifest: PackManifest = {
      spec_version: SPEC_VERSION,
      stream: opts.stream,
      generated_at: mergedAt,
      pack_digest: computePackDigest(artifacts),
      sources: [],
      artifacts: [...artifacts, ...references],
      provenance: {
        type: 'merged',
        merged_at: mergedAt,
        ...(opts.mergedBy ? { merged_by: opts.mergedBy } : {}),
        source_packs: sourcePacks,
      },
    };
    const result = await writePack(
      out,
      {
        manifestBytes: serializeManifest(manifest),
        artifacts: artifacts.map((a) => {
          const from = origin.get(a.path)!;
          return { path: a.path, size: a.size, open: () => from.reader.openArtifact(from.path) };
        }),
      },
      opts.limits ? { limits: opts.limits } : {},
    );
    return { ...result, sources: summary };
  } finally {
    for (const r of owned) await r.close();
  }
}

function isMerged(m: PackManifest): boolean {
  return m.provenance?.['type'] === 'merged';
}

/** Streams must be unique across sources, including the sources of merged sources (§3.7.2). */
function checkStreamUniqueness(readers: readonly PackReader[]): void {
  const seen = new Map<string, string>();
  const add = (stream: string, where: string): void => {
    const first = seen.get(stream);
    if (first !== undefined) {
      throw new UsageError('duplicate_stream', `stream "${stream}" appears in ${first} and ${where}`, { hint: 'each source stream may appear only once in a merge' });
    }
    seen.set(stream, where);
  };
  for (const r of readers) {
    const m = r.manifest;
    if (isMerged(m)) {
      const nested = (m.provenance?.['source_packs'] as { stream: string }[] | undefined) ?? [];
      for (const sp of nested) add(sp.stream, `${r.path} (merged from it)`);
    } else add(m.stream, r.path);
  }
}

async function embedAttestations(reader: PackReader, opts: MergeOptions): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const p of reader.attestations) {
    const bytes = await reader.readAttestation(p);
    const parsed = parseAttestation(bytes);
    checkSubjectDigest(parsed.subjectDigest, reader.manifestDigest);
    if (opts.verifyAttestation) await opts.verifyAttestation(parsed, bytes, reader);
    const { mediaType, verificationMaterial, dsseEnvelope } = parsed.bundle;
    out.push({ mediaType, verificationMaterial, dsseEnvelope });
  }
  return out;
}

function resolveTime(value: string | Date | undefined): string {
  if (value instanceof Date) return formatTimestamp(value);
  if (typeof value === 'string') {
    if (!isValidTimestamp(value)) throw new UsageError('invalid_timestamp', `merged_at must be YYYY-MM-DDTHH:MM:SSZ, got "${value}"`);
    return value;
  }
  return formatTimestamp(sourceDateEpoch() ?? new Date());
}
